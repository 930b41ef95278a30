package io.jvirt.api;

/** A domain's state, as libvirt's {@code virDomainState} (same order, same numbers). */
public enum DomainState {
    NOSTATE("no state"),
    RUNNING("running"),
    BLOCKED("idle"),
    PAUSED("paused"),
    SHUTDOWN("in shutdown"),
    SHUTOFF("shut off"),
    CRASHED("crashed"),
    PMSUSPENDED("pmsuspended");

    private final String label;

    DomainState(String label) {
        this.label = label;
    }

    /** The words virsh prints for this state ({@code "shut off"}). */
    public String label() {
        return label;
    }

    /** Whether a domain in this state has a running hypervisor process. */
    public boolean isActive() {
        return this != SHUTOFF && this != NOSTATE;
    }
}

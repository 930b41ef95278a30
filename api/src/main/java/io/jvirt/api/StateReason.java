package io.jvirt.api;

/**
 * Why a domain is in its state: the union of libvirt's per-state reason enums
 * ({@code virDomainRunningReason}, {@code virDomainPausedReason}, {@code virDomainShutoffReason}, …).
 * Not every reason fits every state; {@link DomainStatus} checks the pair.
 */
public enum StateReason {
    UNKNOWN("unknown"),
    // running
    BOOTED("booted"),
    MIGRATED("migrated"),
    RESTORED("restored"),
    FROM_SNAPSHOT("from snapshot"),
    UNPAUSED("unpaused"),
    MIGRATION_CANCELED("migration canceled"),
    SAVE_CANCELED("save canceled"),
    WAKEUP("event wakeup"),
    // paused
    USER("user"),
    MIGRATION("migrating"),
    SAVE("saving"),
    DUMP("dumping"),
    IOERROR("I/O error"),
    WATCHDOG("watchdog"),
    SNAPSHOT("snapshot"),
    SHUTTING_DOWN("shutting down"),
    STARTING_UP("starting up"),
    // shut off
    SHUTDOWN("shutdown"),
    DESTROYED("destroyed"),
    CRASHED("crashed"),
    SAVED("saved"),
    FAILED("failed"),
    DAEMON("daemon"),
    // crashed
    PANICKED("panicked");

    private final String label;

    StateReason(String label) {
        this.label = label;
    }

    /** The words virsh prints for this reason ({@code "destroyed"}). */
    public String label() {
        return label;
    }
}

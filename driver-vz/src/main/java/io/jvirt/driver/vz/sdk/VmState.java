package io.jvirt.driver.vz.sdk;

/** A VM's state as the SDK reports it. */
public enum VmState {
    /** Not running. */
    STOPPED,
    /** Running. */
    RUNNING,
    /** vCPUs paused, memory in place. */
    PAUSED,
    /** Memory saved to disk (managed save); the next start resumes from it. */
    SUSPENDED;

    /** Whether the VM has a running process. */
    public boolean isActive() {
        return this == RUNNING || this == PAUSED;
    }
}

package io.jvirt.driver.qemu.agent;

/** Whether the guest's file systems are frozen (guest-fsfreeze-status). */
public enum FsFreezeStatus {
    /** Not frozen. */
    THAWED,
    /** Frozen by guest-fsfreeze-freeze. */
    FROZEN
}

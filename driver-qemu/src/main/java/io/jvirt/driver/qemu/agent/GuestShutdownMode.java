package io.jvirt.driver.qemu.agent;

/** What guest-shutdown asks the guest to do. */
public enum GuestShutdownMode {
    /** Power off (qemu-ga mode {@code powerdown}). */
    POWERDOWN("powerdown"),
    /** Reboot (qemu-ga mode {@code reboot}). */
    REBOOT("reboot"),
    /** Halt without powering off (qemu-ga mode {@code halt}). */
    HALT("halt");

    private final String wireName;

    GuestShutdownMode(String wireName) {
        this.wireName = wireName;
    }

    /** The mode as qemu-ga names it. */
    public String wireName() {
        return wireName;
    }
}

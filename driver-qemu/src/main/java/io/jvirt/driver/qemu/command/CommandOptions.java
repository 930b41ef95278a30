package io.jvirt.driver.qemu.command;

/**
 * Driver-wide settings that shape the command line.
 *
 * @param defaultEmulator the binary used when the domain names none
 * @param tcgTbSizeMiB    TCG translation-block cache size in MiB ({@code -accel tcg,tb-size=…}), 0 for QEMU's default
 * @param imageLocking    whether QEMU takes its own image locks ({@code locking} of the {@code file} block
 *                        driver; {@code qemu.conf} {@code image_locking = 0} turns them off, e.g. for two
 *                        embed roots on one machine acting as two hosts under a lock manager)
 */
public record CommandOptions(String defaultEmulator, int tcgTbSizeMiB, boolean imageLocking) {
    /** With QEMU's image locking on. */
    public CommandOptions(String defaultEmulator, int tcgTbSizeMiB) {
        this(defaultEmulator, tcgTbSizeMiB, true);
    }

    /** A copy with image locking on or off. */
    public CommandOptions withImageLocking(boolean on) {
        return new CommandOptions(defaultEmulator, tcgTbSizeMiB, on);
    }

    /** {@code /usr/bin/qemu-system-x86_64}, QEMU's own TB size. */
    public static CommandOptions defaults() {
        return new CommandOptions("/usr/bin/qemu-system-x86_64", 0);
    }
}

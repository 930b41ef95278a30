package io.jvirt.driver.qemu.command;

/**
 * Driver-wide settings that shape the command line.
 *
 * @param defaultEmulator the binary used when the domain names none
 * @param tcgTbSizeMiB    TCG translation-block cache size in MiB ({@code -accel tcg,tb-size=…}), 0 for QEMU's default
 */
public record CommandOptions(String defaultEmulator, int tcgTbSizeMiB) {
    /** {@code /usr/bin/qemu-system-x86_64}, QEMU's own TB size. */
    public static CommandOptions defaults() {
        return new CommandOptions("/usr/bin/qemu-system-x86_64", 0);
    }
}

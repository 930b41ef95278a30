package io.jvirt.api.xml;

/**
 * One child of {@code <devices>} (other than {@code <emulator>}). The kinds are the documented
 * subset jvirt supports; document order is kept.
 */
public sealed interface Device {
    /** The device's alias in a running domain ({@code virtio-disk0}), or null. */
    String alias();

    /**
     * {@code <disk>}.
     *
     * @param type      {@code file} or {@code block}
     * @param device    {@code disk} or {@code cdrom}
     * @param format    {@code raw} or {@code qcow2} ({@code <driver type>}), or null
     * @param source    image path ({@code <source file|dev>}), or null for an empty CD-ROM
     * @param targetDev guest device name ({@code vda}, {@code sda}, {@code hdc})
     * @param targetBus {@code virtio}, {@code sata}, {@code scsi}, {@code ide}, or null (derived from the name)
     * @param readonly  {@code <readonly/>}
     * @param shareable {@code <shareable/>}
     * @param cache     {@code <driver cache>}, or null
     * @param serial    {@code <serial>}, or null
     */
    record Disk(String type, String device, String format, String source, String targetDev, String targetBus,
                boolean readonly, boolean shareable, String cache, String serial, String alias) implements Device {
        public Disk withSource(String newSource) {
            return new Disk(type, device, format, newSource, targetDev, targetBus, readonly, shareable, cache, serial, alias);
        }
    }

    /**
     * {@code <controller>}.
     *
     * @param type  {@code pci}, {@code virtio-serial}, {@code usb}, {@code scsi}, {@code sata}, {@code ide}
     * @param index controller index
     * @param model model, or null
     */
    record Controller(String type, int index, String model, String alias) implements Device {
    }

    /**
     * {@code <interface>}.
     *
     * @param type   {@code user}, {@code network} or {@code bridge}
     * @param mac    MAC address (generated when the document has none)
     * @param model  {@code virtio}, {@code e1000}, …, or null
     * @param source network or bridge name, or null for {@code user}
     * @param target host-side device name, or null
     */
    record Interface(String type, String mac, String model, String source, String target, String alias)
            implements Device {
    }

    /**
     * Where a character device's data goes ({@code <serial>}, {@code <console>}, {@code <channel>}).
     *
     * @param type {@code pty}, {@code file}, {@code unix}, {@code null}, {@code stdio}
     * @param path file or socket path, or null
     * @param mode {@code bind} or {@code connect} for unix, or null
     */
    record CharSource(String type, String path, String mode) {
    }

    /**
     * {@code <serial>}.
     *
     * @param source where data goes
     * @param port   target port
     */
    record Serial(CharSource source, int port, String alias) implements Device {
    }

    /**
     * {@code <console>}.
     *
     * @param source     where data goes
     * @param targetType {@code serial} or {@code virtio}
     * @param port       target port
     */
    record Console(CharSource source, String targetType, int port, String alias) implements Device {
    }

    /**
     * {@code <channel>}.
     *
     * @param source     where data goes (a unix socket for the guest agent)
     * @param targetType {@code virtio}
     * @param targetName port name ({@code org.qemu.guest_agent.0})
     */
    record Channel(CharSource source, String targetType, String targetName, String alias) implements Device {
        /** The name QEMU's guest agent listens on. */
        public static final String GUEST_AGENT = "org.qemu.guest_agent.0";
    }

    /**
     * {@code <memballoon>}.
     *
     * @param model              {@code virtio} or {@code none}
     * @param statsPeriodSeconds {@code <stats period>}, 0 when absent
     */
    record Memballoon(String model, int statsPeriodSeconds, String alias) implements Device {
    }

    /**
     * {@code <graphics>}.
     *
     * @param type     {@code vnc} (or {@code none}: jvirt writes no element then)
     * @param port     port, -1 for autoport
     * @param autoport whether the port is chosen at start
     * @param listen   listen address, or null
     */
    record Graphics(String type, int port, boolean autoport, String listen, String alias) implements Device {
    }

    /**
     * {@code <lease>}: a lock-manager lease.
     *
     * @param lockspace lockspace name
     * @param key       lease key
     * @param path      lease file path ({@code <target path>})
     * @param offset    offset in the file ({@code <target offset>})
     */
    record Lease(String lockspace, String key, String path, long offset) implements Device {
        @Override
        public String alias() {
            return null;
        }
    }
}

package io.jvirt.testkit;

import java.nio.file.Path;

/**
 * Domain XML for the smallest guest QEMU runs: firmware only, no OS, TCG ({@code type='qemu'}),
 * {@code pc} machine, 64 MiB, one vCPU, ACPI. It starts in tens of milliseconds, which is all
 * that lifecycle, lock and labelling tests and benchmarks need.
 */
public final class FirmwareGuest {
    private FirmwareGuest() {
    }

    /** The guest without devices (and without a {@code <devices>} element, so callers may add one). */
    public static String xml(String name) {
        return xml(name, null);
    }

    /** The guest with {@code devices} (XML elements) inside its {@code <devices>}. */
    public static String xml(String name, String devices) {
        return """
                <domain type='qemu'>
                  <name>%s</name>
                  <memory unit='MiB'>64</memory>
                  <vcpu>1</vcpu>
                  <os><type arch='x86_64' machine='pc'>hvm</type></os>
                  <features><acpi/></features>
                %s</domain>""".formatted(name, devices == null ? "" : "  <devices>\n" + devices + "  </devices>\n");
    }

    /** A raw virtio disk on {@code file} as {@code vda}. */
    public static String rawDisk(Path file) {
        return rawDisk(file, "vda", "");
    }

    /**
     * A raw virtio disk on {@code file} as {@code dev}, with {@code extra} (e.g.
     * {@code <shareable/>}) inside the {@code <disk>} element.
     */
    public static String rawDisk(Path file, String dev, String extra) {
        return "    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='" + file
                + "'/><target dev='" + dev + "' bus='virtio'/>" + extra + "</disk>\n";
    }
}

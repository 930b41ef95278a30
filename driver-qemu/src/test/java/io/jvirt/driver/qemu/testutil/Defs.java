package io.jvirt.driver.qemu.testutil;

import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;

import java.util.List;
import java.util.UUID;

/** Domain definitions for tests, built as records (independent of the XML parser). */
public final class Defs {
    private Defs() {
    }

    /** A firmware-only TCG guest: no disks, 64 MiB, one vCPU. */
    public static DomainDef tiny(String name) {
        return new DomainDef("qemu", name, UUID.nameUUIDFromBytes(name.getBytes()), null, null, 65536, 65536, 1,
                new DomainDef.OsDef("hvm", "x86_64", "pc", null, null, null, List.of("hd")), List.of("acpi"),
                null, null, "destroy", "restart", "destroy", null, List.of());
    }

    public static DomainDef withDevices(DomainDef def, Device... devices) {
        return def.withDevices(List.of(devices));
    }

    public static Device.Disk disk(String source, String format, String dev, String bus) {
        return new Device.Disk("file", "disk", format, source, dev, bus, false, false, null, null, null);
    }

    public static Device.Channel agentChannel(String path) {
        return new Device.Channel(path == null ? null : new Device.CharSource("unix", path, "bind"), "virtio",
                Device.Channel.GUEST_AGENT, null);
    }
}

package io.jvirt.driver.qemu.command;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.qemu.caps.QemuCaps;
import io.jvirt.driver.qemu.testutil.Defs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static io.jvirt.driver.qemu.testutil.Defs.disk;
import static io.jvirt.driver.qemu.testutil.Defs.tiny;
import static io.jvirt.driver.qemu.testutil.Defs.withDevices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line for a table of definitions. */
class QemuCommandBuilderTest {
    static final QemuCaps CAPS = new QemuCaps("/usr/bin/qemu-system-x86_64", 1, 7, 2, 22, "test",
            List.of("pc-i440fx-7.2", "pc-q35-7.2"), "pc-i440fx-7.2", List.of("pc=pc-i440fx-7.2", "q35=pc-q35-7.2"),
            List.of("max", "qemu64", "Skylake-Client"), Set.of("blockdev-add", "query-status"), Set.of("SHUTDOWN"), true, 1);
    static final CommandPaths PATHS = new CommandPaths(Path.of("/run/d/monitor.sock"), Path.of("/run/d/pid"),
            Path.of("/run/d/ch"));

    static List<String> argv(DomainDef def) {
        return new QemuCommandBuilder(CAPS, CommandOptions.defaults()).build(def, PATHS).argv();
    }

    /** The argument following {@code flag}'s n-th occurrence. */
    static List<String> values(List<String> argv, String flag) {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < argv.size() - 1; i++) {
            if (argv.get(i).equals(flag)) {
                out.add(argv.get(i + 1));
            }
        }
        return out;
    }

    @Test
    void tinyGuest() {
        List<String> argv = argv(tiny("t1"));
        assertEquals(List.of("/usr/bin/qemu-system-x86_64",
                "-name", "guest=t1,debug-threads=on",
                "-S",
                "-msg", "timestamp=on",
                "-uuid", tiny("t1").uuid().toString(),
                "-machine", "pc-i440fx-7.2,usb=off,dump-guest-core=off",
                "-accel", "tcg",
                "-no-user-config", "-nodefaults",
                "-chardev", "socket,id=charmonitor,path=/run/d/monitor.sock,server=on,wait=off",
                "-mon", "chardev=charmonitor,id=monitor,mode=control",
                "-pidfile", "/run/d/pid",
                "-m", "size=65536k",
                "-smp", "1",
                "-rtc", "base=utc",
                "-boot", "order=c,strict=on",
                "-display", "none"), argv);
    }

    static Stream<Arguments> table() {
        DomainDef t = tiny("g");
        return Stream.of(
                Arguments.of("kvm accel", new DomainDef("kvm", "g", t.uuid(), null, null, 65536, 65536, 2, t.os(),
                        List.of(), null, null, null, null, null, null, List.of()),
                        List.of("-accel kvm", "-smp 2", "-machine pc-i440fx-7.2,usb=off,dump-guest-core=off,acpi=off")),
                Arguments.of("q35 alias", new DomainDef("qemu", "g", t.uuid(), null, null, 131072, 131072, 1,
                        new DomainDef.OsDef("hvm", null, "q35", null, null, null, List.of()), List.of("acpi"),
                        new DomainDef.CpuDef("custom", "Skylake-Client"), new DomainDef.ClockDef("localtime"),
                        null, "destroy", null, null, List.of()),
                        List.of("-machine pc-q35-7.2,usb=off,dump-guest-core=off", "-cpu Skylake-Client",
                                "-rtc base=localtime", "-no-reboot", "-m size=131072k")),
                Arguments.of("direct kernel", new DomainDef("qemu", "g", t.uuid(), null, null, 131072, 131072, 1,
                        new DomainDef.OsDef("hvm", null, null, "/k/vmlinuz", "/k/initrd", "console=ttyS0 quiet", List.of("hd")),
                        List.of("acpi"), new DomainDef.CpuDef("host-model", null), null, null, null, null, null, List.of()),
                        List.of("-kernel /k/vmlinuz", "-initrd /k/initrd", "-append console=ttyS0 quiet", "-cpu max")),
                Arguments.of("virtio qcow2 disk", withDevices(t, disk("/img/a.qcow2", "qcow2", "vda", null)),
                        List.of("-blockdev {\"driver\":\"file\",\"filename\":\"/img/a.qcow2\",\"node-name\":\"jv-disk0-storage\","
                                        + "\"auto-read-only\":true,\"discard\":\"unmap\",\"cache\":{\"direct\":false,\"no-flush\":false}}",
                                "-blockdev {\"node-name\":\"jv-disk0-format\",\"read-only\":false,\"driver\":\"qcow2\","
                                        + "\"file\":\"jv-disk0-storage\",\"cache\":{\"direct\":false,\"no-flush\":false}}",
                                "-device virtio-blk-pci,drive=jv-disk0-format,id=virtio-disk0")),
                Arguments.of("ide cdrom and disk", withDevices(t,
                        new Device.Disk("file", "cdrom", "raw", "/iso/x.iso", "hdc", "ide", true, false, null, null, null),
                        new Device.Disk("file", "disk", "raw", "/img/b.raw", "hda", null, false, true, "none", "SER1", null)),
                        List.of("-device ide-cd,bus=ide.1,unit=0,drive=jv-disk0-format,id=ide0-1-0",
                                "-device ide-hd,bus=ide.0,unit=0,drive=jv-disk1-format,id=ide0-0-0,share-rw=on,serial=SER1")),
                Arguments.of("scsi disk adds a controller", withDevices(t, disk("/img/c.raw", "raw", "sdb", null)),
                        List.of("-device virtio-scsi-pci,id=scsi0",
                                "-device scsi-hd,bus=scsi0.0,channel=0,scsi-id=0,lun=1,drive=jv-disk0-format,id=scsi0-0-0-1")),
                Arguments.of("sata on pc adds ahci", withDevices(t, disk("/img/d.raw", "raw", "sda", "sata")),
                        List.of("-device ahci,id=sata0", "-device ide-hd,bus=sata0.0,drive=jv-disk0-format,id=sata0-0-0")),
                Arguments.of("empty cdrom", withDevices(t,
                        new Device.Disk("file", "cdrom", null, null, "hdc", "ide", true, false, null, null, null)),
                        List.of("-device ide-cd,bus=ide.1,unit=0,id=ide0-1-0")),
                Arguments.of("user net virtio", withDevices(t,
                        new Device.Interface("user", "52:54:00:12:34:56", "virtio", null, null, null)),
                        List.of("-netdev user,id=hostnet0", "-device virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:12:34:56")),
                Arguments.of("serial to file and console", withDevices(t,
                        new Device.Serial(new Device.CharSource("file", "/log/s,1.log", null), 0, null),
                        new Device.Console(new Device.CharSource("file", "/log/s,1.log", null), "serial", 0, null)),
                        List.of("-chardev file,id=charserial0,path=/log/s,,1.log", "-device isa-serial,chardev=charserial0,id=serial0,index=0")),
                Arguments.of("serial to unix and null", withDevices(t,
                        new Device.Serial(new Device.CharSource("unix", "/run/s.sock", "bind"), 0, null),
                        new Device.Serial(new Device.CharSource("null", null, null), 1, null)),
                        List.of("-chardev socket,id=charserial0,path=/run/s.sock,server=on,wait=off",
                                "-chardev null,id=charserial1", "-device isa-serial,chardev=charserial1,id=serial1,index=1")),
                Arguments.of("guest agent channel", withDevices(t, Defs.agentChannel(null)),
                        List.of("-device virtio-serial-pci,id=virtio-serial0",
                                "-chardev socket,id=charchannel0,path=/run/d/ch/org.qemu.guest_agent.0,server=on,wait=off",
                                "-device virtserialport,bus=virtio-serial0.0,chardev=charchannel0,id=channel0,name=org.qemu.guest_agent.0")),
                Arguments.of("balloon", withDevices(t, new Device.Memballoon("virtio", 0, null)),
                        List.of("-device virtio-balloon-pci,id=balloon0")),
                Arguments.of("vnc autoport", withDevices(t, new Device.Graphics("vnc", -1, true, null, null)),
                        List.of("-vnc 127.0.0.1:0,to=99", "-device VGA,id=video0")),
                Arguments.of("vnc port", withDevices(t, new Device.Graphics("vnc", 5905, false, "0.0.0.0", null)),
                        List.of("-vnc 0.0.0.0:5")),
                Arguments.of("comma in name", tiny("a,b"), List.of("-name guest=a,,b,debug-threads=on")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void commandLineContains(String label, DomainDef def, List<String> expected) {
        List<String> argv = argv(def);
        String joined = "\u0000" + String.join("\u0000", argv) + "\u0000";
        for (String pair : expected) {
            int sp = pair.indexOf(' ');
            String needle = sp < 0 ? "\u0000" + pair + "\u0000"
                    : "\u0000" + pair.substring(0, sp) + "\u0000" + pair.substring(sp + 1) + "\u0000";
            assertTrue(joined.contains(needle), label + ": missing [" + pair + "] in " + argv);
        }
        assertEquals(1, values(argv, "-pidfile").size());
        assertTrue(argv.contains("-S"), "CPUs must start paused");
        if (!label.startsWith("vnc")) {
            assertEquals(List.of("none"), values(argv, "-display"), label);
        } else {
            assertTrue(values(argv, "-display").isEmpty(), label);
        }
    }

    static Stream<Arguments> rejected() {
        DomainDef t = tiny("g");
        return Stream.of(
                Arguments.of(new DomainDef("xen", "g", t.uuid(), null, null, 1024, 1024, 1, t.os(), List.of(), null, null,
                        null, null, null, null, List.of()), "domain type 'xen'"),
                Arguments.of(new DomainDef("qemu", "g", t.uuid(), null, null, 1024, 1024, 1,
                        new DomainDef.OsDef("hvm", null, "virt", null, null, null, List.of()), List.of(), null, null,
                        null, null, null, null, List.of()), "machine type 'virt'"),
                Arguments.of(new DomainDef("qemu", "g", t.uuid(), null, null, 1024, 1024, 1, t.os(), List.of(),
                        new DomainDef.CpuDef("host-passthrough", null), null, null, null, null, null, List.of()),
                        "host-passthrough needs <domain type='kvm'>"),
                Arguments.of(new DomainDef("qemu", "g", t.uuid(), null, null, 1024, 1024, 1, t.os(), List.of(),
                        new DomainDef.CpuDef("custom", "Pentium9000"), null, null, null, null, null, List.of()),
                        "CPU model 'Pentium9000'"),
                Arguments.of(withDevices(t, new Device.Interface("bridge", null, "virtio", "br0", null, null)),
                        "interface type 'bridge'"),
                Arguments.of(withDevices(t, disk("/x.vmdk", "vmdk", "vda", null)), "disk format 'vmdk'"),
                Arguments.of(withDevices(t, new Device.Disk("file", "cdrom", "raw", "/x.iso", "vda", null, true, false, null, null, null)),
                        "CD-ROM cannot be on the virtio bus"),
                Arguments.of(withDevices(t, new Device.Graphics("spice", -1, true, null, null)), "graphics type 'spice'"),
                Arguments.of(withDevices(t, disk("/x.raw", "raw", "xyz", null)), "cannot derive a bus"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("rejected")
    void unsupportedConfigurationsAreRefusedClearly(DomainDef def, String message) {
        VirtException e = assertThrows(VirtException.class, () -> argv(def));
        assertEquals(ErrorCode.CONFIG_UNSUPPORTED, e.code());
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(e.getMessage().contains("/domain"), "names the element: " + e.getMessage());
    }

    @Test
    void liveDefinitionCarriesAliasesAndTheAgentSocket() {
        DomainDef def = withDevices(tiny("g"), disk("/img/a.raw", "raw", "vdb", null), Defs.agentChannel(null),
                new Device.Memballoon("virtio", 0, null));
        QemuCommand cmd = new QemuCommandBuilder(CAPS, CommandOptions.defaults()).build(def, PATHS);
        assertEquals("virtio-disk1", cmd.liveDef().disks().get(0).alias());
        assertEquals("channel0", cmd.liveDef().devices(Device.Channel.class).get(0).alias());
        assertEquals(Path.of("/run/d/ch/org.qemu.guest_agent.0"), cmd.agentSocket());
        assertEquals("balloon0", cmd.liveDef().devices(Device.Memballoon.class).get(0).alias());
    }

    @Test
    void tbSizeOption() {
        List<String> argv = new QemuCommandBuilder(CAPS, new CommandOptions("/usr/bin/qemu-system-x86_64", 16))
                .build(tiny("g"), PATHS).argv();
        assertEquals(List.of("tcg,tb-size=16"), values(argv, "-accel"));
    }
}

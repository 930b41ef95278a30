package io.jvirt.api.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Single devices, defaults and generated values. */
@Timeout(60)
class DomainXmlDevicesTest {
    static final List<String> DEVICES = List.of(
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='writeback'/>"
                    + "<source file='/img/a.qcow2'/><target dev='vdb' bus='virtio'/><serial>abc</serial></disk>",
            "<disk type='block' device='cdrom'><source dev='/dev/sr0'/><target dev='hdc'/><readonly/></disk>",
            "<interface type='bridge'><mac address='52:54:00:01:02:03'/><source bridge='br0'/>"
                    + "<model type='virtio'/></interface>",
            "<controller type='scsi' index='1' model='virtio-scsi'/>",
            "<channel type='unix'><source mode='bind' path='/run/qga.sock'/>"
                    + "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>",
            "<memballoon model='virtio'><stats period='10'/></memballoon>",
            "<serial type='pty'><target port='0'/></serial>",
            "<console type='pty'><target type='serial' port='0'/></console>",
            "<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>",
            "<lease><lockspace>ls</lockspace><key>k</key><target path='/leases/k' offset='512'/></lease>");

    @Test
    void everyDeviceKindRoundTripsAndValidatesInsideADomain() {
        for (String xml : DEVICES) {
            Device d = DomainXml.parseDevice(xml);
            String out = DomainXml.formatDevice(d);
            assertEquals(d, DomainXml.parseDevice(out), out);
            assertEquals(out, DomainXml.formatDevice(DomainXml.parseDevice(out)));
            String dom = "<domain type='qemu'><name>d</name><memory>1024</memory><os><type>hvm</type></os><devices>"
                    + out + "</devices></domain>";
            DomainDef def = DomainXml.parse(dom);
            assertEquals(List.of(d), def.devices());
            Corpus.assertValid(DomainXml.format(def), xml);
        }
    }

    @Test
    void parseDeviceReadsFields() {
        Device.Disk disk = (Device.Disk) DomainXml.parseDevice(DEVICES.get(0));
        assertEquals(new Device.Disk("file", "disk", "qcow2", "/img/a.qcow2", "vdb", "virtio", false, false,
                "writeback", "abc", null), disk);
        Device.Disk cd = (Device.Disk) DomainXml.parseDevice(DEVICES.get(1));
        assertEquals("ide", cd.targetBus());
        assertTrue(cd.readonly());
        Device.Channel ch = (Device.Channel) DomainXml.parseDevice(DEVICES.get(4));
        assertEquals(new Device.CharSource("unix", "/run/qga.sock", "bind"), ch.source());
        assertEquals(Device.Channel.GUEST_AGENT, ch.targetName());
        assertEquals(new Device.Lease("ls", "k", "/leases/k", 512), DomainXml.parseDevice(DEVICES.get(9)));
        assertEquals(new Device.Controller("usb", 0, null, null), DomainXml.parseDevice("<controller type='usb'/>"));
        assertEquals(new Device.Graphics("vnc", -1, true, null, null), DomainXml.parseDevice("<graphics type='vnc'/>"));
        assertEquals(new Device.Graphics("vnc", 5901, false, null, null),
                DomainXml.parseDevice("<graphics type='vnc' port='5901'/>"));
    }

    @Test
    void formatDeviceWritesTheAliasWhenSet() {
        String out = DomainXml.formatDevice(new Device.Memballoon("virtio", 0, "balloon0"));
        assertTrue(out.contains("<alias name=\"balloon0\"/>"), out);
        assertEquals("balloon0", DomainXml.parseDevice(out).alias());
    }

    @Test
    void parseDeviceRejectsOtherElements() {
        VirtException e = assertThrows(VirtException.class, () -> DomainXml.parseDevice("<sound model='ich6'/>"));
        assertEquals(ErrorCode.XML_ERROR, e.code());
        assertEquals("unsupported element /sound", e.getMessage());
        e = assertThrows(VirtException.class, () -> DomainXml.parseDevice("<disk type='file'><source file='/a'/>"
                + "<target dev='vda'/><iotune/></disk>"));
        assertEquals("unsupported element /disk/iotune", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"hda,ide", "hdc,ide", "sda,scsi", "sdaa,scsi", "vda,virtio", "vdz,virtio", "xvda,xen"})
    void diskBusIsDerivedFromTheTargetName(String dev, String bus) {
        Device.Disk d = (Device.Disk) DomainXml.parseDevice(
                "<disk type='file'><source file='/a'/><target dev='" + dev + "'/></disk>");
        assertEquals(bus, d.targetBus());
        assertEquals("disk", d.device());
    }

    @Test
    void interfaceWithoutMacGetsAQemuOuiMac() {
        Device.Interface a = (Device.Interface) DomainXml.parseDevice("<interface type='user'/>");
        Device.Interface b = (Device.Interface) DomainXml.parseDevice("<interface type='user'/>");
        assertTrue(a.mac().matches("52:54:00(:[0-9a-f]{2}){3}"), a.mac());
        assertNotEquals(a.mac(), b.mac());
        Device.Interface upper = (Device.Interface) DomainXml.parseDevice(
                "<interface type='user'><mac address='52:54:00:AB:CD:EF'/></interface>");
        assertEquals("52:54:00:ab:cd:ef", upper.mac());
    }

    @Test
    void defaultsAreFilledIn() {
        DomainDef a = DomainXml.parse("<domain type='qemu'><name>m</name><memory unit='MiB'>64</memory>"
                + "<os><type>hvm</type></os></domain>");
        DomainDef b = DomainXml.parse(DomainXml.format(a).replace(a.uuid().toString(), "").replace("<uuid></uuid>", ""));
        assertNotEquals(a.uuid(), b.uuid(), "a missing uuid is generated afresh");
        assertEquals(65536, a.memoryKiB());
        assertEquals(65536, a.currentMemoryKiB());
        assertEquals(1, a.vcpus());
        assertEquals("destroy", a.onPoweroff());
        assertEquals("restart", a.onReboot());
        assertEquals("destroy", a.onCrash());
        assertEquals(List.of(), a.devices());
        assertEquals(UUID.fromString("3c1d9a2b-47e8-4f0a-8e6b-5d4c3b2a1908"), DomainXml.parse(
                "<domain type='qemu'><name>m</name><uuid>3C1D9A2B47E84F0A8E6B5D4C3B2A1908</uuid><memory>1</memory>"
                        + "<os><type>hvm</type></os></domain>").uuid());
    }

    @ParameterizedTest
    @CsvSource({"b,1024,1", "bytes,1025,2", "byte,1,1", "k,7,7", "KiB,7,7", "KB,1024,1000", "kb,2048,2000",
        "M,3,3072", "MiB,3,3072", "MB,1,977", "G,1,1048576", "GiB,2,2097152", "GB,1,976563",
        "T,1,1073741824", "TiB,1,1073741824", "TB,1,976562500", "mib,1,1024"})
    void unitsAreNormalisedToKiB(String unit, long value, long kib) {
        assertEquals(kib, Units.toKiB(Long.toString(value), unit, "/x"));
        DomainDef d = DomainXml.parse("<domain type='qemu'><name>u</name><memory unit='" + unit + "'>" + value
                + "</memory><os><type>hvm</type></os></domain>");
        assertEquals(kib, d.memoryKiB());
        String out = DomainXml.format(d);
        assertTrue(out.contains("<memory unit=\"KiB\">" + kib + "</memory>"), out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x", "KiBB", "iB", "Ki", "bit", " "})
    void unknownUnitsAreRejected(String unit) {
        VirtException e = assertThrows(VirtException.class, () -> Units.toKiB("1", unit, "/domain/memory"));
        assertTrue(e.getMessage().startsWith("invalid unit '" + unit + "' for /domain/memory"), e.getMessage());
    }

    @Test
    void formatRefusesWhatParseWouldReject() {
        DomainDef d = DomainXml.parse("<domain type='qemu'><name>ok</name><memory>1024</memory>"
                + "<os><type>hvm</type></os></domain>");
        VirtException e = assertThrows(VirtException.class, () -> DomainXml.format(d.withName("a/b")));
        assertTrue(e.getMessage().contains("must not contain '/'"), e.getMessage());
        e = assertThrows(VirtException.class, () -> DomainXml.format(d.withCurrentMemoryKiB(2048)));
        assertEquals(ErrorCode.XML_ERROR, e.code());
        e = assertThrows(VirtException.class, () -> DomainXml.format(d.withDevices(List.of(
                new Device.Disk(null, "disk", null, "/a", "vda", null, false, false, null, null, null)))));
        assertEquals("cannot write domain XML: no disk type", e.getMessage());
        e = assertThrows(VirtException.class, () -> DomainXml.formatDevice(new Device.Serial(null, 0, null)));
        assertEquals("cannot write domain XML: no character device source", e.getMessage());
        String bus = DomainXml.formatDevice(
                new Device.Disk("file", null, null, "/a", "sdc", null, false, false, null, null, null));
        assertTrue(bus.contains("device=\"disk\"") && bus.contains("bus=\"scsi\""), bus);
        assertEquals("", DomainXml.formatDevice(new Device.Graphics("none", -1, true, null, null)).strip());
    }

    @Test
    void textIsEscapedAndKeptVerbatim() {
        String description = "  a < b && c > d\n\ttab \"quotes\" 'apos' \r ünïcödé  ";
        DomainDef d = DomainXml.parse("<domain type='qemu'><name>e</name><memory>1024</memory>"
                + "<os><type>hvm</type><kernel>/k</kernel><cmdline>console=ttyS0 a=&quot;b c&quot; &lt;x&gt;</cmdline>"
                + "</os></domain>");
        assertEquals("console=ttyS0 a=\"b c\" <x>", d.os().cmdline());
        DomainDef withText = new DomainDef(d.type(), "n & <m>", d.uuid(), "t & 'x'", description, d.memoryKiB(),
                d.currentMemoryKiB(), d.vcpus(), d.os(), d.features(), d.cpu(), d.clock(), d.onPoweroff(),
                d.onReboot(), d.onCrash(), "/usr/bin/qemu & co", d.devices());
        String out = DomainXml.format(withText);
        assertEquals(withText, DomainXml.parse(out));
        assertFalse(out.contains("n & <m>"), out);
        Corpus.assertValid(out, "escaped text");
    }
}

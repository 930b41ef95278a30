package io.jvirt.api.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Bad documents fail with XML_ERROR and a one-line message naming what was wrong. */
@Timeout(30)
class DomainXmlRejectsTest {
    static final String OS = "<os><type>hvm</type></os>";

    static String domain(String body) {
        return "<domain type='qemu'><name>g</name><memory>1024</memory>" + OS + body + "</domain>";
    }

    static String rejected(String xml) {
        VirtException e = assertThrows(VirtException.class, () -> DomainXml.parse(xml));
        assertEquals(ErrorCode.XML_ERROR, e.code());
        assertFalse(e.getMessage().contains("\n"), "message is not one line: " + e.getMessage());
        return e.getMessage();
    }

    static void assertRejected(String xml, String... fragments) {
        String msg = rejected(xml);
        for (String f : fragments) {
            assertTrue(msg.contains(f), "message '" + msg + "' does not mention '" + f + "'");
        }
    }

    @Test
    void brokenXmlNamesLineAndColumn() {
        assertRejected("<domain type='qemu'>\n  <name>g</nam>\n</domain>", "malformed XML at line 2, column");
        assertRejected("<domain type='qemu'><name>g</name>", "malformed XML");
        assertRejected("", "malformed XML");
        assertRejected("just text", "malformed XML");
        assertRejected(domain("") + "<domain type='qemu'/>", "malformed XML");
        assertRejected(domain("") + "trailing", "malformed XML");
    }

    @Test
    void billionLaughsIsRejectedAsADtd() {
        StringBuilder dtd = new StringBuilder("<?xml version='1.0'?>\n<!DOCTYPE domain [\n<!ENTITY lol 'lol'>\n");
        dtd.append("<!ENTITY lol0 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>\n");
        for (int i = 1; i < 10; i++) {
            dtd.append("<!ENTITY lol").append(i).append(" '");
            dtd.append(("&lol" + (i - 1) + ";").repeat(10)).append("'>\n");
        }
        dtd.append("]>\n");
        long t0 = System.nanoTime();
        assertRejected(dtd + domain("<description>&lol9;</description>"), "DTDs are not allowed");
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "took too long");
    }

    @Test
    void externalEntityIsNeverRead(@TempDir Path dir) throws Exception {
        String secret = "TOP-SECRET-" + System.nanoTime();
        Path file = Files.writeString(dir.resolve("secret.txt"), secret);
        String internalSubset = "<!DOCTYPE domain [<!ENTITY xxe SYSTEM '" + file.toUri() + "'>]>\n";
        String msg = rejected(internalSubset + domain("<description>&xxe;</description>"));
        assertTrue(msg.contains("DTDs are not allowed"), msg);
        assertFalse(msg.contains(secret), msg);
        String external = "<!DOCTYPE domain SYSTEM '" + file.toUri() + "'>\n";
        msg = rejected(external + domain(""));
        assertTrue(msg.contains("DTDs are not allowed"), msg);
        assertFalse(msg.contains(secret), msg);
        // an entity reference without a DTD is undeclared
        msg = rejected(domain("<description>&xxe;</description>"));
        assertFalse(msg.contains(secret), msg);
        assertTrue(msg.contains("malformed XML") || msg.contains("entity"), msg);
    }

    @Test
    void aFiftyMegabyteDocumentIsRejectedBySizeBeforeParsing() {
        String pad = "<!--" + "x".repeat(50 * 1024 * 1024) + "-->";
        long t0 = System.nanoTime();
        String msg = rejected(domain("") + pad);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(msg.contains("too large") && msg.contains(Integer.toString(pad.length() + domain("").length()))
                && msg.contains(Integer.toString(DomainXml.MAX_DOCUMENT_CHARS)), msg);
        assertTrue(ms < 1000, "size check took " + ms + " ms");
    }

    @Test
    void namesAreValidated() {
        assertRejected("<domain type='qemu'><name>a/b</name><memory>1</memory>" + OS + "</domain>",
                "'a/b'", "must not contain '/'", "/domain/name");
        assertRejected("<domain type='qemu'><name>.hidden</name><memory>1</memory>" + OS + "</domain>",
                "must not start with '.'");
        assertRejected("<domain type='qemu'><name></name><memory>1</memory>" + OS + "</domain>", "must not be empty");
        assertRejected("<domain type='qemu'><name>" + "n".repeat(201) + "</name><memory>1</memory>" + OS
                + "</domain>", "longer than 200 characters");
        assertRejected("<domain type='qemu'><name>a&#10;b</name><memory>1</memory>" + OS + "</domain>",
                "control characters");
        assertRejected("<domain type='qemu'><name> x</name><memory>1</memory>" + OS + "</domain>", "whitespace");
        assertEquals("n".repeat(200), DomainXml.parse(
                "<domain type='qemu'><name>" + "n".repeat(200) + "</name><memory>1</memory>" + OS + "</domain>")
                .name());
    }

    @Test
    void badNumbersAndUnits() {
        assertRejected("<domain type='qemu'><name>g</name><memory>abc</memory>" + OS + "</domain>",
                "invalid value 'abc' for /domain/memory: not a number");
        assertRejected("<domain type='qemu'><name>g</name><memory>-5</memory>" + OS + "</domain>",
                "invalid value '-5' for /domain/memory");
        assertRejected("<domain type='qemu'><name>g</name><memory unit='XB'>1</memory>" + OS + "</domain>",
                "invalid unit 'XB' for /domain/memory");
        assertRejected("<domain type='qemu'><name>g</name><memory unit='MiBs'>1</memory>" + OS + "</domain>",
                "invalid unit 'MiBs'");
        assertRejected("<domain type='qemu'><name>g</name><memory unit='EiB'>99999</memory>" + OS + "</domain>",
                "too large");
        assertRejected("<domain type='qemu'><name>g</name><memory>0</memory>" + OS + "</domain>",
                "/domain/memory: must be more than 0");
        assertRejected(domain("<currentMemory unit='MiB'>2</currentMemory>"),
                "/domain/currentMemory: 2048 KiB is more than /domain/memory (1024 KiB)");
        assertRejected(domain("<vcpu>0</vcpu>"), "invalid value '0' for /domain/vcpu");
        assertRejected(domain("<vcpu>two</vcpu>"), "invalid value 'two' for /domain/vcpu: not a number");
    }

    @Test
    void badUuids() {
        for (String bad : new String[] {"1-1-1-1-1", "not-a-uuid", "8f2a6c3e0d4b4b8e9a516d7e2c1f0a9",
            "8f2a6c3e-0d4b-4b8e-9a51-6d7e2c1f0a9g"}) {
            assertRejected(domain("<uuid>" + bad + "</uuid>"), "invalid value '" + bad + "' for /domain/uuid: not a UUID");
        }
    }

    @Test
    void unknownElementsAndAttributesAreRejectedWithTheirPath() {
        assertRejected(domain("<devices><sound model='ich6'/></devices>"), "unsupported element /domain/devices/sound");
        assertRejected(domain("<metadata><x/></metadata>"), "unsupported element /domain/metadata");
        assertRejected(domain("<devices><disk type='file' foo='1'><source file='/a'/><target dev='vda'/></disk>"
                + "</devices>"), "unsupported attribute /domain/devices/disk/@foo");
        assertRejected(domain("<devices><disk type='file'><source file='/a'/><target dev='vda'/><boot order='1'/>"
                + "</disk></devices>"), "unsupported element /domain/devices/disk/boot");
        assertRejected("<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>g</name>"
                + "<memory>1</memory>" + OS + "<qemu:commandline/></domain>",
                "unsupported element /domain/qemu:commandline");
        assertRejected("<network><name>n</name></network>", "unsupported element /network");
        assertRejected(domain("<features><smm/></features>"), "unsupported element /domain/features/smm");
        assertRejected(domain("<os><type>hvm</type></os>"), "duplicate element /domain/os");
        assertRejected(domain("<devices>junk</devices>"), "unexpected text 'junk' in /domain/devices");
        assertRejected(domain("<clock offset='variable'/>"),
                "invalid value 'variable' for /domain/clock/@offset: expected one of utc, localtime");
        assertRejected("<domain type='xen'><name>g</name><memory>1</memory>" + OS + "</domain>",
                "invalid value 'xen' for /domain/@type");
        assertRejected("<domain><name>g</name><memory>1</memory>" + OS + "</domain>", "missing attribute /domain/@type");
        assertRejected("<domain type='qemu'><name>g</name>" + OS + "</domain>", "missing element /domain/memory");
        assertRejected("<domain type='qemu'><name>g</name><memory>1</memory></domain>", "missing element /domain/os");
        assertRejected(domain("<devices><graphics type='spice'/></devices>"),
                "invalid value 'spice' for /domain/devices/graphics/@type");
        assertRejected(domain("<devices><disk type='network'><target dev='vda'/></disk></devices>"),
                "invalid value 'network' for /domain/devices/disk/@type");
    }

    @Test
    void deviceRulesAreChecked() {
        assertRejected(domain("<devices><disk type='file'><source file='/a'/><target dev='vda'/></disk>"
                + "<disk type='file'><source file='/b'/><target dev='vda'/></disk></devices>"),
                "duplicate disk target 'vda'");
        assertRejected(domain("<devices><disk type='file'><target dev='vda'/></disk></devices>"),
                "missing element /domain/devices/disk/source");
        assertRejected(domain("<devices><disk type='file'><source file='/a'/><target dev='floppy0'/></disk></devices>"),
                "invalid value 'floppy0' for /domain/devices/disk/target/@dev");
        assertRejected(domain("<devices><disk type='block'><source file='/a'/><target dev='vda'/></disk></devices>"),
                "unsupported attribute /domain/devices/disk/source/@file");
        assertRejected(domain("<devices><interface type='user'><mac address='01:00:5e:00:00:01'/></interface>"
                + "</devices>"), "multicast");
        assertRejected(domain("<devices><interface type='user'><mac address='52:54:00:zz:00:01'/></interface>"
                + "</devices>"), "not a MAC address");
        assertRejected(domain("<devices><interface type='network'/></devices>"),
                "missing element /domain/devices/interface/source");
        assertRejected(domain("<devices><controller type='usb' index='0'/><controller type='usb' index='0'/>"
                + "</devices>"), "duplicate controller type 'usb' index 0");
        assertRejected(domain("<devices><controller type='pci' index='0'/></devices>"),
                "missing attribute /domain/devices/controller/@model");
        assertRejected(domain("<devices><serial type='file'><target port='0'/></serial></devices>"),
                "missing element /domain/devices/serial/source");
        assertRejected(domain("<devices><lease><lockspace>a</lockspace><key>k</key></lease></devices>"),
                "missing element /domain/devices/lease/target");
        assertRejected(domain("<devices><graphics type='vnc' autoport='no'/></devices>"), "autoport='no' needs a port");
        assertRejected(domain("<devices><channel type='unix'><target type='guestfwd'/></channel></devices>"),
                "invalid value 'guestfwd' for /domain/devices/channel/target/@type");
    }
}

package io.jvirt.api.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

/** Every corpus document round-trips and what jvirt writes validates with libvirt's schema. */
@Timeout(120)
class DomainXmlCorpusTest {

    @TestFactory
    Stream<DynamicTest> roundTrip() {
        return Corpus.files().stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            DomainDef first = DomainXml.parse(Corpus.read(f));
            String xml = DomainXml.format(first);
            DomainDef second = DomainXml.parse(xml);
            assertEquals(inactive(first), second, "parse(format(parse(x))) differs from parse(x)");
            assertEquals(xml, DomainXml.format(second), "format is not stable");
            String live = DomainXml.format(first, 3);
            assertEquals(first, DomainXml.parse(live), "the live form does not read back");
            assertEquals(live, DomainXml.format(DomainXml.parse(live), 3), "live format is not stable");
        }));
    }

    /** What the inactive form keeps of a definition: no aliases, no port chosen at start. */
    static DomainDef inactive(DomainDef d) {
        return d.withDevices(d.devices().stream().map(dev -> switch (dev) {
            case Device.Disk x -> new Device.Disk(x.type(), x.device(), x.format(), x.source(), x.targetDev(),
                    x.targetBus(), x.readonly(), x.shareable(), x.cache(), x.serial(), null);
            case Device.Controller x -> new Device.Controller(x.type(), x.index(), x.model(), null);
            case Device.Interface x -> new Device.Interface(x.type(), x.mac(), x.model(), x.source(), x.target(), null);
            case Device.Serial x -> new Device.Serial(x.source(), x.port(), null);
            case Device.Console x -> new Device.Console(x.source(), x.targetType(), x.port(), null);
            case Device.Channel x -> new Device.Channel(x.source(), x.targetType(), x.targetName(), null);
            case Device.Memballoon x -> new Device.Memballoon(x.model(), x.statsPeriodSeconds(), null);
            case Device.Graphics x -> new Device.Graphics(x.type(), x.autoport() ? -1 : x.port(), x.autoport(),
                    x.listen(), null);
            case Device.Lease x -> x;
        }).map(Device.class::cast).toList());
    }

    @Test
    void theLiveDocumentKeepsAliasesOnlyInTheLiveForm() {
        DomainDef d = DomainXml.parse(Corpus.read(Corpus.dir().resolve("live-with-aliases.xml")));
        assertEquals("virtio-disk0", d.disks().getFirst().alias());
        assertEquals(5900, d.devices(Device.Graphics.class).getFirst().port());
        String live = DomainXml.format(d, 7);
        assertTrue(live.startsWith("<domain type=\"qemu\" id=\"7\">"), live);
        assertTrue(live.contains("<alias name=\"virtio-disk0\"/>"), live);
        assertTrue(live.contains("port=\"5900\""), live);
        String inactive = DomainXml.format(d);
        assertFalse(inactive.contains("<alias"), inactive);
        assertFalse(inactive.contains(" id="), inactive);
        assertFalse(inactive.contains("<address"), inactive);
        assertTrue(inactive.contains("port=\"-1\" autoport=\"yes\""), inactive);
    }

    @TestFactory
    Stream<DynamicTest> libvirtSchemaAcceptsWhatJvirtWrites() {
        return Corpus.files().stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            DomainDef def = DomainXml.parse(Corpus.read(f));
            Corpus.assertValid(DomainXml.format(def), f.getFileName() + " (inactive form)");
            Corpus.assertValid(DomainXml.format(def, 42), f.getFileName() + " (live form)");
        }));
    }

    @Test
    void theCorpusDocumentsAreThemselvesValidLibvirtXml() {
        for (Path f : Corpus.files()) {
            Corpus.assertValid(Corpus.read(f), f.getFileName().toString());
        }
    }

    @Test
    void theIndexListsEveryCorpusDocument() {
        List<String> listed = Corpus.read(Corpus.dir().resolve("index.txt")).lines()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).map(String::strip).sorted().toList();
        List<String> present = Corpus.files().stream().map(p -> p.getFileName().toString()).sorted().toList();
        assertEquals(present, listed, "xml-corpus/index.txt is out of date");
    }

    @Test
    void theCorpusCoversEverySupportedElement() {
        Set<String> kinds = new HashSet<>();
        Set<String> values = new HashSet<>();
        for (Path f : Corpus.files()) {
            DomainDef d = DomainXml.parse(Corpus.read(f));
            for (Device dev : d.devices()) {
                kinds.add(dev.getClass().getSimpleName());
                switch (dev) {
                    case Device.Disk disk -> {
                        values.add("disk:" + disk.type());
                        values.add("disk:" + disk.device());
                        values.add("format:" + disk.format());
                        values.add("bus:" + disk.targetBus());
                        values.add(disk.readonly() ? "readonly" : "rw");
                        values.add(disk.shareable() ? "shareable" : "exclusive");
                    }
                    case Device.Interface i -> values.add("net:" + i.type());
                    case Device.Channel c -> values.add("channel:" + c.targetName());
                    default -> {
                    }
                }
            }
            values.add("cpu:" + (d.cpu() == null ? null : d.cpu().mode()));
            values.add("clock:" + (d.clock() == null ? null : d.clock().offset()));
            values.addAll(d.features());
            if (d.os().kernel() != null) {
                values.add("kernel");
            }
            if (d.title() != null) {
                values.add("title");
            }
        }
        assertEquals(Set.of("Disk", "Controller", "Interface", "Serial", "Console", "Channel", "Memballoon",
                "Graphics", "Lease"), kinds);
        for (String v : List.of("disk:file", "disk:block", "disk:cdrom", "format:raw", "format:qcow2", "bus:virtio",
                "bus:sata", "bus:ide", "bus:scsi", "readonly", "shareable", "net:user", "net:network",
                "net:bridge", "channel:org.qemu.guest_agent.0", "cpu:host-passthrough", "cpu:host-model",
                "cpu:custom", "clock:utc", "clock:localtime", "acpi", "apic", "kernel", "title")) {
            assertTrue(values.contains(v), "the corpus does not cover " + v);
        }
        assertFalse(values.isEmpty());
    }
}

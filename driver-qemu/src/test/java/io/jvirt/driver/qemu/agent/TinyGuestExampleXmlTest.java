package io.jvirt.driver.qemu.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** examples/tiny-guest.xml parses and describes the guest scripts/build-test-guest builds. */
class TinyGuestExampleXmlTest {
    private static Path example() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve("examples/tiny-guest.xml");
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException("examples/tiny-guest.xml not found above " + Path.of("").toAbsolutePath());
    }

    @Test
    void exampleIsATcgGuestWithAnAgentChannelFromTheCache() throws Exception {
        DomainDef def = DomainXml.parse(Files.readString(example()));
        assertEquals("qemu", def.type());
        assertEquals("tiny", def.name());
        assertEquals(128 * 1024, def.memoryKiB());
        assertEquals(1, def.vcpus());
        String cache = "/var/cache/jvirt/test-guest/current/";
        assertEquals(cache + "vmlinuz", def.os().kernel());
        assertEquals(cache + "initrd.img", def.os().initrd());
        assertTrue(def.os().cmdline().contains("console=ttyS0"));
        Device.Channel agent = def.devices().stream().filter(Device.Channel.class::isInstance)
                .map(Device.Channel.class::cast).findFirst().orElseThrow();
        assertEquals(Device.Channel.GUEST_AGENT, agent.targetName());
        assertEquals("virtio", agent.targetType());
        Device.Disk disk = def.devices().stream().filter(Device.Disk.class::isInstance)
                .map(Device.Disk.class::cast).findFirst().orElseThrow();
        assertEquals(cache + "disk.img", disk.source());
        assertEquals("virtio", disk.targetBus());
        assertTrue(disk.readonly());
        assertNotNull(def.devices().stream().filter(Device.Memballoon.class::isInstance).findFirst().orElse(null));
        assertTrue(def.devices().stream().noneMatch(Device.Graphics.class::isInstance));
    }
}

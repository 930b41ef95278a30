package io.jvirt.driver.qemu.caps;

import io.jvirt.api.Capabilities;
import io.jvirt.api.Feature;
import io.jvirt.driver.qemu.testutil.TestQemu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Probing the real QEMU binary and caching the result. */
@Timeout(120)
class CapsCacheTest {
    @TempDir
    Path dir;

    @Test
    void probesOnceAndReadsTheCacheInANewInstance() throws Exception {
        Path cacheDir = dir.resolve("caps");
        CapsCache cache = new CapsCache(cacheDir);
        QemuCaps caps = cache.get(Path.of(TestQemu.BINARY));
        assertEquals(7, caps.versionMajor());
        assertTrue(caps.hasCommand("blockdev-add"));
        assertTrue(caps.hasCommand("query-status"));
        assertTrue(caps.events().contains("SHUTDOWN"));
        assertTrue(caps.events().contains("VSERPORT_CHANGE"));
        assertTrue(caps.blockdev());
        assertTrue(caps.hasMachine("pc"), caps.machineAliases().toString());
        assertTrue(caps.hasMachine("q35"));
        assertTrue(caps.cpuModels().contains("qemu64"));
        assertTrue(caps.defaultMachine() != null && caps.defaultMachine().startsWith("pc-i440fx"));
        assertEquals(caps.defaultMachine(), caps.machines().get(0));
        Path file = cache.fileFor(Path.of(TestQemu.BINARY));
        assertTrue(Files.exists(file));
        try (var s = Files.list(cacheDir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "temp files left");
        }
        // a new instance (another JVM, say) reads the file: mark it and see the mark come back
        String json = Files.readString(file);
        Files.writeString(file, json.replace("\"probeMillis\" : " + caps.probeMillis(), "\"probeMillis\" : 424242"));
        QemuCaps again = new CapsCache(cacheDir).get(Path.of(TestQemu.BINARY));
        assertEquals(424242, again.probeMillis(), "cache file not used");
        assertEquals(caps.commands(), again.commands());
    }

    @Test
    void aChangedBinaryIsProbedAgain() throws Exception {
        Path fake = dir.resolve("qemu-copy");
        // a wrapper script stands in for a binary whose mtime the test may change
        Files.writeString(fake, "#!/bin/sh\nexec " + TestQemu.BINARY + " \"$@\"\n");
        fake.toFile().setExecutable(true);
        CapsCache cache = new CapsCache(dir.resolve("caps"));
        QemuCaps first = cache.get(fake);
        Path file = cache.fileFor(fake);
        String json = Files.readString(file);
        Files.writeString(file, json.replace("\"probeMillis\" : " + first.probeMillis(), "\"probeMillis\" : 424242"));
        Files.setLastModifiedTime(fake, FileTime.fromMillis(first.mtimeMillis() + 5000));
        QemuCaps second = new CapsCache(dir.resolve("caps")).get(fake);
        assertFalse(second.probeMillis() == 424242, "stale cache used after the binary changed");
        assertEquals(first.mtimeMillis() + 5000, second.mtimeMillis());
    }

    @Test
    void garbageCacheFileIsReprobed() throws Exception {
        CapsCache cache = new CapsCache(dir.resolve("caps"));
        Path file = cache.fileFor(Path.of(TestQemu.BINARY));
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{not json");
        assertEquals(7, cache.get(Path.of(TestQemu.BINARY)).versionMajor());
    }

    @Test
    void kvmDetectionAndCapabilities() throws Exception {
        Path dev = dir.resolve("kvm");
        Path pvm = dir.resolve("kvm_pvm");
        KvmStatus none = KvmStatus.detect(dev, pvm);
        assertFalse(none.devicePresent());
        assertTrue(none.unusableReason().contains("/dev/kvm does not exist"));
        Files.createFile(dev);
        Files.createDirectory(pvm);
        KvmStatus nested = KvmStatus.detect(dev, pvm);
        assertTrue(nested.usable());
        assertTrue(nested.nestedPvm());
        QemuCaps caps = new CapsCache(dir.resolve("caps")).get(Path.of(TestQemu.BINARY));
        Capabilities c = HostCapabilities.build(caps, nested, Set.of(Feature.PERSISTENT));
        assertTrue(c.notes().contains(KvmStatus.NESTED_PVM_NOTE), c.notes().toString());
        assertEquals(java.util.List.of("qemu", "kvm"), c.guests().get(0).domainTypes());
        assertEquals("x86_64", c.host().arch());
        assertTrue(c.host().memoryKiB() > 0);
        Capabilities noKvm = HostCapabilities.build(caps, none, Set.of());
        assertEquals(java.util.List.of("qemu"), noKvm.guests().get(0).domainTypes());
        assertTrue(noKvm.notes().stream().anyMatch(n -> n.startsWith("kvm: /dev/kvm does not exist")));
    }
}

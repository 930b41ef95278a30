package io.jvirt.driver.qemu.lock;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.Device;
import io.jvirt.driver.qemu.security.QemuSecurity;
import io.jvirt.driver.qemu.testutil.Defs;
import io.jvirt.driver.qemu.testutil.Embed;
import io.jvirt.spi.lock.ConfFile;
import io.jvirt.spi.lock.LockResource;
import io.jvirt.spi.lock.LockResource.DiskMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a definition locks, and the driver's lock/labelling settings in qemu.conf (no QEMU runs). */
@Timeout(30)
class QemuLockConfigTest {
    @TempDir
    Path root;

    @Test
    void resourcesFollowTheDiskFlagsAndLeases() {
        var def = Defs.withDevices(Defs.tiny("r"),
                new Device.Disk("file", "disk", "raw", "/img/a", "vda", "virtio", false, false, null, null, null),
                new Device.Disk("file", "disk", "raw", "/img/s", "vdb", "virtio", false, true, null, null, null),
                new Device.Disk("file", "disk", "raw", "/img/r", "vdc", "virtio", true, false, null, null, null),
                new Device.Disk("file", "cdrom", "raw", "/img/cd.iso", "hdc", "ide", false, false, null, null, null),
                new Device.Disk("file", "cdrom", "raw", null, "hdd", "ide", false, false, null, null, null),
                new Device.Lease("space", "key1", "/leases/k1", 1024));
        assertEquals(List.of(new LockResource.Disk("/img/a", DiskMode.EXCLUSIVE),
                new LockResource.Disk("/img/s", DiskMode.SHARED),
                new LockResource.Disk("/img/r", DiskMode.READONLY),
                new LockResource.Disk("/img/cd.iso", DiskMode.READONLY),
                new LockResource.Lease("space", "key1", "/leases/k1", 1024)), QemuLocks.resources(def));
    }

    @Test
    void unknownPluginFailsTheConnectionNamingThoseThatExist() throws Exception {
        Files.writeString(root.resolve("qemu.conf"), "lock_manager = \"nosuch\"\n");
        VirtException e = assertThrows(VirtException.class, () -> Virt.open(Embed.uri(root)).close());
        assertEquals(ErrorCode.CONFIG_UNSUPPORTED, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("'nosuch' not found") && e.getMessage().contains("lockd"), e.getMessage());
    }

    @Test
    void userAndGroupSettings() {
        assertFalse(QemuSecurity.open(ConfFile.parse("qemu.conf", ""), root).enabled());
        QemuSecurity numeric = QemuSecurity.open(ConfFile.parse("qemu.conf", "user = \"+4242\"\ngroup = \"+4343\"\n"), root);
        assertTrue(numeric.enabled());
        assertEquals(4242, numeric.uid());
        assertEquals(4343, numeric.gid());
        VirtException e = assertThrows(VirtException.class,
                () -> QemuSecurity.open(ConfFile.parse("qemu.conf", "# x\nuser = \"no-such-user-here\"\n"), root));
        assertEquals("qemu.conf:2: no such user 'no-such-user-here'", e.getMessage());
        e = assertThrows(VirtException.class, () -> QemuSecurity.open(ConfFile.parse("qemu.conf", "group = \"root\"\n"), root));
        assertTrue(e.getMessage().startsWith("qemu.conf:1: "), e.getMessage());
    }
}

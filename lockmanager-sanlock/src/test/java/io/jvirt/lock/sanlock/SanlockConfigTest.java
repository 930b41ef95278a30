package io.jvirt.lock.sanlock;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.spi.lock.ConfFile;
import io.jvirt.spi.lock.LockManager;
import io.jvirt.spi.lock.LockManagers;
import io.jvirt.spi.lock.LockOwner;
import io.jvirt.spi.lock.LockResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SanlockConfigTest {

    @Test
    void readsEveryKeyInTheDaemonSyntax() {
        SanlockConfig c = SanlockConfig.from(ConfFile.parse("qemu-sanlock.conf", """
                # leases on shared storage
                auto_disk_leases = 1
                disk_lease_dir = "/srv/leases"
                host_id = 7
                require_lease_for_disks = 0
                io_timeout = 5
                user = "root"
                group = "root"
                socket = "/tmp/s/sanlock.sock"
                """));
        assertTrue(c.autoDiskLeases());
        assertEquals(Path.of("/srv/leases"), c.diskLeaseDir());
        assertEquals(7, c.hostId());
        assertFalse(c.requireLeaseForDisks());
        assertEquals(5, c.ioTimeout());
        assertEquals("root", c.user());
        assertEquals(Path.of("/tmp/s/sanlock.sock"), c.socket());
    }

    @Test
    void defaults() {
        SanlockConfig c = SanlockConfig.from(ConfFile.empty("qemu-sanlock.conf"));
        assertFalse(c.autoDiskLeases());
        assertTrue(c.requireLeaseForDisks(), "default: the opposite of auto_disk_leases");
        assertEquals(SanlockConfig.DEFAULT_LEASE_DIR, c.diskLeaseDir());
        assertEquals(0, c.hostId());
        assertNull(c.user());
        assertEquals(SanlockConfig.defaultSocket(), c.socket());
        assertFalse(SanlockConfig.from(ConfFile.parse("f", "auto_disk_leases = 1\nhost_id = 1\n")).requireLeaseForDisks());
    }

    @Test
    void errorsNameFileAndLine() {
        assertError("auto_disk_leases = 1\nhost_id = 2001\n", "qemu-sanlock.conf:2: host_id must be between 1 and 2000");
        assertError("auto_disk_leases = 1\n", "qemu-sanlock.conf:1: auto_disk_leases = 1 needs host_id");
        assertError("\n\ndisk_lease_dir = \"relative/dir\"\n", "qemu-sanlock.conf:3: disk_lease_dir must be an absolute path");
        assertError("host_id = \"one\"\n", "qemu-sanlock.conf:1: setting 'host_id' must be an integer");
        assertError("auto_disk_leases = 2\n", "qemu-sanlock.conf:1: setting 'auto_disk_leases' must be 0 or 1");
        assertError("io_timeout = -1\n", "qemu-sanlock.conf:1: io_timeout must be between 0");
        assertError("# x\nlockspace_dir = \"/x\"\n", "qemu-sanlock.conf:2: unknown setting 'lockspace_dir'");
        assertError("socket = \"sanlock.sock\"\n", "qemu-sanlock.conf:1: socket must be an absolute path");
        assertError("user = \"\"\n", "qemu-sanlock.conf:1: user must not be empty");
    }

    private static void assertError(String text, String prefix) {
        VirtException e = assertThrows(VirtException.class,
                () -> SanlockConfig.from(ConfFile.parse("qemu-sanlock.conf", text)));
        assertEquals(ErrorCode.INVALID_ARG, e.code());
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
    }

    @Test
    void chosenByTheDriverConfigurationAndBadSettingsNameTheFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("qemu.conf"), "lock_manager = \"sanlock\"\n");
        Files.writeString(dir.resolve("qemu-sanlock.conf"), "auto_disk_leases = 1\nhost_id = 0\n");
        VirtException e = assertThrows(VirtException.class, () -> LockManagers.forDriver(dir, "qemu"));
        assertTrue(e.getMessage().startsWith(dir.resolve("qemu-sanlock.conf") + ":2: "), e.getMessage());
        assertTrue(LockManagers.available(getClass().getClassLoader()).contains("sanlock"));
    }

    @Test
    void writableDisksWithoutAnyLeaseAreRefusedWhenLeasesAreRequired() {
        try (LockManager m = new SanlockLockManagerProvider().create("qemu", ConfFile.parse("qemu-sanlock.conf",
                "require_lease_for_disks = 1\nsocket = \"/nonexistent/sanlock.sock\"\n"))) {
            LockOwner owner = new LockOwner(UUID.randomUUID(), "vm", 1, 4242, "qemu:///system");
            var s = m.session(owner, List.of(new LockResource.Disk("/img/a.qcow2", LockResource.DiskMode.EXCLUSIVE)));
            VirtException e = assertThrows(VirtException.class, () -> s.acquire(null, Set.of(), List.of()));
            assertEquals(ErrorCode.OPERATION_INVALID, e.code());
            assertTrue(e.getMessage().contains("has writable disks but no sanlock lease"), e.getMessage());
            // read-only and shared disks alone need no lease: nothing to do, no daemon contacted
            m.session(owner, List.of(new LockResource.Disk("/img/b.iso", LockResource.DiskMode.READONLY)))
                    .acquire(null, Set.of(), List.of());
        }
    }

    @Test
    void leasesNeedATargetPathAndNamesThatFit() {
        try (LockManager m = new SanlockLockManagerProvider().create("qemu", ConfFile.empty("qemu-sanlock.conf"))) {
            LockOwner owner = new LockOwner(UUID.randomUUID(), "vm", 1, 4242, "qemu:///system");
            VirtException e = assertThrows(VirtException.class, () -> m.session(owner,
                    List.of(new LockResource.Lease("space", "key", null, 0))));
            assertEquals(ErrorCode.INVALID_ARG, e.code());
            assertTrue(e.getMessage().contains("sanlock needs <target path='...'/> for lease space/key"), e.getMessage());
            VirtException longName = assertThrows(VirtException.class, () -> m.session(owner,
                    List.of(new LockResource.Lease("s".repeat(49), "key", "/l", 0))));
            assertTrue(longName.getMessage().contains("must be 1 to 48 bytes"), longName.getMessage());
        }
    }

    @Test
    void diskLeaseNamesAreStableHashesThatFitSanlockNames() {
        String n = SanlockLockManager.leaseName("/var/lib/images/vm1.qcow2");
        assertEquals(32, n.length());
        assertTrue(n.matches("[0-9a-f]{32}"));
        assertEquals(n, SanlockLockManager.leaseName("/var/lib/images/vm1.qcow2"));
        assertFalse(n.equals(SanlockLockManager.leaseName("/var/lib/images/vm2.qcow2")));
    }
}

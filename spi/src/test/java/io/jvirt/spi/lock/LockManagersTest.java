package io.jvirt.spi.lock;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LockManagersTest {
    private static final LockOwner OWNER = new LockOwner(UUID.randomUUID(), "vm1", 1, ProcessHandle.current().pid(), "qemu:///system");

    @Test
    void nopIsTheDefaultAndFoundByName(@TempDir Path dir) {
        assertTrue(LockManagers.available(getClass().getClassLoader()).contains("nop"));
        try (LockManager m = LockManagers.forDriver(dir, "qemu")) {
            assertEquals("nop", m.name());
            try (LockSession s = m.session(OWNER, List.of(new LockResource.Disk("/x.img", LockResource.DiskMode.EXCLUSIVE)))) {
                assertEquals(List.of(), s.connectPaths());
                s.acquire(null, EnumSet.of(AcquireFlag.REGISTER_ONLY, AcquireFlag.RESTRICT), List.of());
                s.acquire(null, Set.of(), List.of());
                assertEquals("", s.inquire());
                assertEquals("", s.release());
            }
        }
    }

    @Test
    void driverConfNamesThePlugin(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("qemu.conf"), "# driver\nlock_manager = \"nop\"\n");
        try (LockManager m = LockManagers.forDriver(dir, "qemu")) {
            assertEquals("nop", m.name());
        }
        Files.writeString(dir.resolve("qemu-nop.conf"), "bogus = 1\n");
        VirtException e = assertThrows(VirtException.class, () -> LockManagers.forDriver(dir, "qemu"));
        assertTrue(e.getMessage().startsWith(dir.resolve("qemu-nop.conf") + ":1: unknown setting 'bogus'"), e.getMessage());
    }

    @Test
    void unknownPluginIsAClearError(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("qemu.conf"), "lock_manager = \"nosuch\"\n");
        VirtException e = assertThrows(VirtException.class, () -> LockManagers.forDriver(dir, "qemu"));
        assertEquals(ErrorCode.CONFIG_UNSUPPORTED, e.code());
        assertTrue(e.getMessage().contains("'nosuch' not found (available: ") && e.getMessage().contains("nop"), e.getMessage());
    }

    @Test
    void ownerAndResourcesValidate() {
        assertThrows(IllegalArgumentException.class, () -> new LockOwner(UUID.randomUUID(), "a", 1, 0, "qemu:///system"));
        assertThrows(IllegalArgumentException.class, () -> new LockResource.Disk(" ", LockResource.DiskMode.SHARED));
        assertEquals("lease space/key", new LockResource.Lease("space", "key", null, 0).describe());
    }
}

package io.jvirt.spi.security;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.spi.lock.AcquireFlag;
import io.jvirt.spi.lock.LockManager;
import io.jvirt.spi.lock.LockOwner;
import io.jvirt.spi.lock.LockResource;
import io.jvirt.spi.lock.LockSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DAC labelling as root with a dedicated unprivileged user ({@code jvirt-qemu-test}, created
 * with {@code useradd --system} when missing): owner and mode while running, restored after
 * stop and after a "driver restart" (a new labeler on the same state dir).
 */
@Timeout(60)
class DacLabelerTest {
    static final String USER = "jvirt-qemu-test";
    static int uid;
    static int gid;

    @BeforeAll
    static void user() throws Exception {
        assertEquals("root", System.getProperty("user.name"), "the DAC tests run as root (they chown files)");
        if (run("id", "-u", USER).isEmpty()) {
            run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER);
        }
        uid = Integer.parseInt(run("id", "-u", USER));
        gid = Integer.parseInt(run("id", "-g", USER));
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        return p.exitValue() == 0 ? out : "";
    }

    private static int attr(Path p, String a) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:" + a);
    }

    private static Path file(Path dir, String name, int mode) throws Exception {
        Path p = Files.writeString(dir.resolve(name), name);
        Files.setAttribute(p, "unix:mode", mode);
        return p;
    }

    @Test
    void labelsAndRestoresAcrossARestart(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state");
        Path img = file(dir, "disk.img", 0640);
        Path log = file(dir, "vm.log", 0600);
        new DacLabeler(state, uid, gid, Duration.ofSeconds(10)).label(List.of(img, log));
        for (Path p : List.of(img, log)) {
            assertEquals(uid, attr(p, "uid"));
            assertEquals(gid, attr(p, "gid"));
            assertEquals(0600, attr(p, "mode") & 0600);
        }
        assertEquals(0640, attr(img, "mode") & 07777, "other bits kept");
        // the "driver" restarts: a new labeler reads what the old one remembered
        DacLabeler again = new DacLabeler(state, uid, gid, Duration.ofSeconds(10));
        assertEquals(0, again.remembered(img).uid());
        again.restore(List.of(img, log));
        assertEquals(0, attr(img, "uid"));
        assertEquals(0, attr(img, "gid"));
        assertEquals(0640, attr(img, "mode") & 07777);
        assertEquals(0600, attr(log, "mode") & 07777);
        assertNull(again.remembered(img));
    }

    @Test
    void sharedFileIsRestoredWhenTheLastLabelGoes(@TempDir Path dir) throws Exception {
        Path iso = file(dir, "cd.iso", 0444);
        DacLabeler l = new DacLabeler(dir.resolve("state"), uid, gid, Duration.ofSeconds(10));
        l.label(List.of(iso));
        l.label(List.of(iso));
        l.restore(List.of(iso));
        assertEquals(uid, attr(iso, "uid"), "still labelled for the second guest");
        l.restore(List.of(iso));
        assertEquals(0, attr(iso, "uid"));
        assertEquals(0444, attr(iso, "mode") & 07777);
    }

    @Test
    void metadataLockIsByteOneAndBounded(@TempDir Path dir) throws Exception {
        Path img = file(dir, "busy.img", 0644);
        DacLabeler l = new DacLabeler(dir.resolve("state"), uid, gid, Duration.ofMillis(500));
        // a lock manager's byte-0 lock does not stop labelling
        Process p0 = holdPosix(img, 0);
        try {
            l.label(List.of(img));
            l.restore(List.of(img));
        } finally {
            p0.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        // someone else's byte-1 (metadata) lock does, for a bounded time
        Process p1 = holdPosix(img, 1);
        try {
            long t0 = System.nanoTime();
            VirtException e = assertThrows(VirtException.class, () -> l.label(List.of(img)));
            assertEquals(ErrorCode.OPERATION_TIMEOUT, e.code());
            assertTrue(e.getMessage().contains("metadata lock of " + img), e.getMessage());
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(450));
            assertEquals(0, attr(img, "uid"), "nothing changed");
            assertNull(l.remembered(img));
        } finally {
            p1.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        l.label(List.of(img));
        assertEquals(uid, attr(img, "uid"));
    }

    private static Process holdPosix(Path f, int start) throws Exception {
        Process p = new ProcessBuilder("python3", "-c", """
                import fcntl, os, sys
                fd = os.open(sys.argv[1], os.O_RDWR)
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, int(sys.argv[2]))
                print("locked", flush=True)
                sys.stdin.read()
                """, f.toString(), Integer.toString(start)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertEquals("locked", new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine());
        return p;
    }

    /** A lock manager that records calls and what the file's owner was at each. */
    static final class Recording implements LockManager {
        final List<String> calls = new ArrayList<>();
        final Path watched;

        Recording(Path watched) {
            this.watched = watched;
        }

        private String fileUid() {
            try {
                return Integer.toString(attr(watched, "uid"));
            } catch (Exception e) {
                return "?";
            }
        }

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public LockSession session(LockOwner owner, List<LockResource> resources) {
            return new LockSession() {
                @Override
                public LockOwner owner() {
                    return owner;
                }

                @Override
                public List<LockResource> resources() {
                    return resources;
                }

                @Override
                public List<Path> connectPaths() {
                    return List.of();
                }

                @Override
                public void acquire(String state, Set<AcquireFlag> flags, List<FileDescriptor> connections) {
                    calls.add("acquire(uid " + fileUid() + ")");
                }

                @Override
                public String release() {
                    calls.add("release(uid " + fileUid() + ")");
                    return "[state]";
                }

                @Override
                public String inquire() {
                    return "";
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public void close() {
        }
    }

    @Test
    void allowLocksThenLabelsRevokeRestoresThenUnlocks(@TempDir Path dir) throws Exception {
        Path img = file(dir, "hotplug.img", 0644);
        Recording rec = new Recording(img);
        DeviceAccess access = new DeviceAccess(rec, new DacLabeler(dir.resolve("state"), uid, gid, Duration.ofSeconds(10)));
        LockOwner owner = new LockOwner(UUID.randomUUID(), "vm", 1, ProcessHandle.current().pid(), "qemu:///system");
        DeviceAccess.Grant g = access.allow(owner, new LockResource.Disk(img.toString(), LockResource.DiskMode.EXCLUSIVE), List.of(img));
        assertEquals(uid, attr(img, "uid"));
        assertEquals("[state]", access.revoke(g));
        assertEquals(List.of("acquire(uid 0)", "release(uid 0)"), rec.calls, "lock before label; restore before unlock");
        assertEquals(0, attr(img, "uid"));

        // a failing label rolls the lock back
        rec.calls.clear();
        Path missing = dir.resolve("missing.img");
        assertThrows(VirtException.class, () -> access.allow(owner,
                new LockResource.Disk(missing.toString(), LockResource.DiskMode.EXCLUSIVE), List.of(img, missing)));
        assertEquals(2, rec.calls.size(), rec.calls::toString);
        assertTrue(rec.calls.get(1).startsWith("release"), rec.calls::toString);
        assertEquals(0, attr(img, "uid"), "the path labelled before the failure is restored");
    }
}

package io.jvirt.lock.lockd;

import io.jvirt.testkit.LockdDaemonProcess;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.testkit.LockOwnerProcess;
import io.jvirt.spi.lock.LockManager;
import io.jvirt.spi.lock.LockManagers;
import io.jvirt.spi.lock.LockResource;
import io.jvirt.spi.lock.LockResource.DiskMode;
import io.jvirt.spi.lock.LockSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two "hosts" (two plugin instances with their own config dirs) on one lockspace directory,
 * with one daemon or a daemon each, and real owner processes.
 */
@Timeout(180)
class LockdTwoHostsTest {
    @TempDir
    Path tmp;
    Path lockspace;
    Path disk;
    Path shared;
    Path readonly;
    final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        lockspace = Files.createDirectories(tmp.resolve("lockspace"));
        Path images = Files.createDirectories(tmp.resolve("images"));
        disk = Files.writeString(images.resolve("disk.qcow2"), "disk");
        shared = Files.writeString(images.resolve("shared.img"), "shared");
        readonly = Files.writeString(images.resolve("cdrom.iso"), "iso");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : cleanup.reversed()) {
            c.close();
        }
    }

    private LockdDaemonProcess daemon(String name, String... extra) throws Exception {
        LockdDaemonProcess d = LockdDaemonProcess.start(tmp.resolve(name + ".sock"), tmp.resolve(name + ".log"), extra);
        cleanup.add(d);
        return d;
    }

    /** A host: its own config dir with qemu.conf and qemu-lockd.conf. */
    private LockManager host(String name, Path socket, boolean indirect, String extra) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("qemu.conf"), "lock_manager = \"lockd\"\n");
        Files.writeString(dir.resolve("qemu-lockd.conf"), "# host " + name + "\nsocket = \"" + socket + "\"\n"
                + (indirect ? "file_lockspace_dir = \"" + lockspace + "\"\n" : "") + extra);
        LockManager m = LockManagers.forDriver(dir, "qemu");
        cleanup.add(m);
        assertEquals("lockd", m.name());
        return m;
    }

    private LockOwnerProcess owner(LockManager m, String name, LockResource... resources) throws Exception {
        LockOwnerProcess o = LockOwnerProcess.start(m, name, List.of(resources), tmp);
        cleanup.add(o);
        return o;
    }

    private static void acquire(LockOwnerProcess o) {
        o.session().acquire(null, Set.of(), List.of());
    }

    private static VirtException busy(LockOwnerProcess o, String disk, String holder) {
        VirtException e = assertThrows(VirtException.class, () -> acquire(o));
        assertEquals(ErrorCode.RESOURCE_BUSY, e.code(), e::toString);
        assertTrue(e.getMessage().startsWith("resource busy: " + disk + " is locked by "), e.getMessage());
        assertTrue(e.getMessage().contains(holder), e.getMessage());
        return e;
    }

    private static void eventually(Runnable check) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                check.run();
                return;
            } catch (AssertionError | VirtException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private LockResource.Disk d(Path p, DiskMode m) {
        return new LockResource.Disk(p.toString(), m);
    }

    @Test
    void oneDaemonTwoHosts() throws Exception {
        LockdDaemonProcess daemon = daemon("lockd");
        LockManager a = host("hostA", daemon.socket(), true, "");
        LockManager b = host("hostB", daemon.socket(), true, "");
        LockOwnerProcess vmA = owner(a, "vmA", d(disk, DiskMode.EXCLUSIVE), d(shared, DiskMode.SHARED), d(readonly, DiskMode.READONLY));
        acquire(vmA);
        String state = vmA.session().inquire();
        assertTrue(state.contains(LockdLockManager.leaseName(disk.toString())) && state.contains("\"exclusive\""), state);
        assertTrue(!state.contains("cdrom.iso"), "read-only disks take no lock by default: " + state);

        LockOwnerProcess vmB = owner(b, "vmB", d(disk, DiskMode.EXCLUSIVE));
        busy(vmB, disk.toString(), "domain 'vmA'");
        LockOwnerProcess vmB2 = owner(b, "vmB2", d(shared, DiskMode.SHARED), d(readonly, DiskMode.READONLY));
        acquire(vmB2);
        // a shared disk cannot be taken exclusively while shared
        busy(owner(b, "vmB3", d(shared, DiskMode.EXCLUSIVE)), shared.toString(), "domain '");

        // release keeps the state; the disk is then free for B, and A cannot take it back
        String released = vmA.session().release();
        assertTrue(released.contains("exclusive"), released);
        acquire(vmB);
        busy(vmA, disk.toString(), "domain 'vmB'");

        // kill -9 of B's owner process frees its disks
        vmB.kill9();
        eventually(() -> acquire(vmA));
        assertTrue(vmA.session().inquire().contains("exclusive"));
    }

    @Test
    void readOnlyDisksLockedSharedWhenConfigured() throws Exception {
        LockdDaemonProcess daemon = daemon("lockd");
        LockManager a = host("hostA", daemon.socket(), true, "readonly_disks = \"shared\"\n");
        LockManager b = host("hostB", daemon.socket(), true, "");
        LockOwnerProcess vmA = owner(a, "vmA", d(readonly, DiskMode.READONLY));
        acquire(vmA);
        assertTrue(vmA.session().inquire().contains("\"shared\""), vmA.session().inquire());
        busy(owner(b, "writer", d(readonly, DiskMode.EXCLUSIVE)), readonly.toString(), "domain 'vmA'");
        acquire(owner(b, "reader", d(readonly, DiskMode.READONLY)));
    }

    @Test
    void twoDaemonsOnOneLockspaceConflictLikeTwoHostsOnNfs() throws Exception {
        LockdDaemonProcess d1 = daemon("lockd1");
        LockdDaemonProcess d2 = daemon("lockd2");
        LockManager a = host("hostA", d1.socket(), true, "");
        LockManager b = host("hostB", d2.socket(), true, "");
        LockOwnerProcess vmA = owner(a, "vmA", d(disk, DiskMode.EXCLUSIVE), d(shared, DiskMode.SHARED));
        acquire(vmA);
        LockOwnerProcess vmB = owner(b, "vmB", d(disk, DiskMode.EXCLUSIVE));
        busy(vmB, disk.toString(), "domain 'vmA'");
        // a shared holder on the other daemon is named as such (not by a stale lease-file note)
        busy(owner(b, "vmB3", d(shared, DiskMode.EXCLUSIVE)), shared.toString(), "a shared lock held by another open file");
        acquire(owner(b, "vmB2", d(shared, DiskMode.SHARED)));
        vmA.kill9();
        eventually(() -> acquire(vmB));
    }

    @Test
    void directLocksInteroperateWithPosixByteZeroLocks() throws Exception {
        LockdDaemonProcess daemon = daemon("lockd");
        LockManager a = host("hostA", daemon.socket(), false, "");
        LockOwnerProcess vmA = owner(a, "vmA", d(disk, DiskMode.EXCLUSIVE));
        acquire(vmA);
        assertEquals("busy", posix(disk, false));
        vmA.session().release();
        Process holder = new ProcessBuilder("python3", "-c", """
                import fcntl, os, sys
                fd = os.open(sys.argv[1], os.O_RDWR)
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
                print("locked", flush=True)
                sys.stdin.read()
                """, disk.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        cleanup.add(() -> holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS));
        assertEquals("locked", new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8)).readLine());
        busy(vmA, disk.toString(), "process " + holder.pid());
        holder.getOutputStream().close();
        assertTrue(holder.waitFor(10, TimeUnit.SECONDS));
        acquire(vmA);
    }

    private static String posix(Path f, boolean hold) throws Exception {
        Process p = new ProcessBuilder("python3", "-c", """
                import fcntl, os, sys
                fd = os.open(sys.argv[1], os.O_RDWR)
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0); print("locked")
                except OSError:
                    print("busy")
                """, f.toString()).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            return out;
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void pluginRefusesWhileTheDaemonIsDownAndRecoversAfterRestart() throws Exception {
        LockdDaemonProcess daemon = daemon("lockd");
        LockManager a = host("hostA", daemon.socket(), true, "");
        LockOwnerProcess vmA = owner(a, "vmA", d(disk, DiskMode.EXCLUSIVE));
        daemon.close();
        VirtException e = assertThrows(VirtException.class, () -> acquire(vmA));
        assertEquals(ErrorCode.OPERATION_FAILED, e.code());
        assertTrue(e.getMessage().startsWith("jvirt-lockd is not running: cannot connect to " + daemon.socket()), e.getMessage());
        assertTrue(e.getMessage().contains("refusing to acquire locks for domain 'vmA'"), e.getMessage());

        // a restarted daemon (the crash lost every lock) adopts the still-running owner at its
        // next acquire, and releases it when the process is found gone
        LockdDaemonProcess again = LockdDaemonProcess.start(daemon.socket(), tmp.resolve("lockd-again.log"));
        cleanup.add(again);
        acquire(vmA);
        LockManager b = host("hostB", again.socket(), true, "");
        LockOwnerProcess vmB = owner(b, "vmB", d(disk, DiskMode.EXCLUSIVE));
        busy(vmB, disk.toString(), "domain 'vmA'");
        vmA.kill9();
        eventually(() -> acquire(vmB));
    }

    @Test
    void handOverKeepsLocksAndOwners() throws Exception {
        LockdDaemonProcess old = daemon("lockd");
        LockManager a = host("hostA", old.socket(), true, "");
        LockManager b = host("hostB", old.socket(), true, "");
        LockOwnerProcess vmA = owner(a, "vmA", d(disk, DiskMode.EXCLUSIVE), d(shared, DiskMode.SHARED));
        acquire(vmA);
        LockOwnerProcess vmB = owner(b, "vmB", d(disk, DiskMode.EXCLUSIVE));
        LockOwnerProcess vmB2 = owner(b, "vmB2", d(shared, DiskMode.SHARED));
        acquire(vmB2);

        // B keeps trying while the successor takes over: it must never get the disk
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        var wrongly = new java.util.concurrent.atomic.AtomicInteger();
        var attempts = new java.util.concurrent.atomic.AtomicInteger();
        Thread prober = Thread.ofVirtual().start(() -> {
            while (!stop.get()) {
                attempts.incrementAndGet();
                try {
                    acquire(vmB);
                    wrongly.incrementAndGet();
                } catch (VirtException e) {
                    if (e.code() != ErrorCode.RESOURCE_BUSY && e.code() != ErrorCode.OPERATION_FAILED) {
                        wrongly.incrementAndGet();
                    }
                }
            }
        });
        LockdDaemonProcess successor = LockdDaemonProcess.start(old.socket(), tmp.resolve("lockd-new.log"), "--takeover");
        cleanup.add(successor);
        assertTrue(old.process().waitFor(10, TimeUnit.SECONDS), "the old daemon exits after the hand-over");
        Thread.sleep(300);
        stop.set(true);
        prober.join(10_000);
        assertEquals(0, wrongly.get(), "B acquired A's disk (or got a wrong error) during the hand-over");
        assertTrue(attempts.get() > 0);

        busy(vmB, disk.toString(), "domain 'vmA'");
        // the kernel still holds the lock (not just the successor's table)
        assertEquals("busy", posix(lockspace.resolve(LockdLockManager.leaseName(disk.toString())), false));
        String state = vmA.session().inquire();
        assertTrue(state.contains("exclusive") && state.contains("shared"), state);
        // the shared holder's lock came along too
        assertTrue(vmB2.session().inquire().contains("shared"));
        // the successor watches the handed-over owner connections: A dies, B gets the disk
        vmA.kill9();
        eventually(() -> acquire(vmB));
        assertTrue(successor.process().isAlive());
    }

    /**
     * The plugin keeps one driver connection per session between calls: a connection the daemon
     * closed (here: the daemon was restarted) is re-made, and the kept connection carries no lock
     * lifetime (the owner's death still ends its locks, and a later acquire for it is refused).
     */
    @Test
    void keptConnectionIsRemadeAfterADaemonRestartAndCarriesNoLockLifetime() throws Exception {
        LockdDaemonProcess first = daemon("lockd");
        LockManager a = host("hostA", first.socket(), true, "");
        LockManager b = host("hostB", first.socket(), true, "");
        LockOwnerProcess vmA = owner(a, "vmA", d(disk, DiskMode.EXCLUSIVE));
        LockOwnerProcess vmB = owner(b, "vmB", d(disk, DiskMode.EXCLUSIVE));
        for (int i = 0; i < 3; i++) { // the same session, over and over
            acquire(vmA);
            busy(vmB, disk.toString(), "vmA");
            assertTrue(vmA.session().release().contains("exclusive"));
            assertEquals("[]", vmA.session().inquire());
        }
        acquire(vmA);

        // the daemon dies (its locks with it) and a new one serves the same socket: the session's
        // kept connection is dead and must be replaced, not used
        first.close();
        LockdDaemonProcess second = LockdDaemonProcess.start(first.socket(), tmp.resolve("lockd2.log"));
        cleanup.add(second);
        acquire(vmA); // the new daemon adopts the live owner
        busy(vmB, disk.toString(), "vmA");
        assertTrue(vmA.session().inquire().contains("exclusive"), vmA.session().inquire());

        // the owner dies: its locks end although the session's connection stays open
        vmA.kill9();
        eventually(() -> acquire(vmB));
        VirtException e = assertThrows(VirtException.class, () -> acquire(vmA));
        assertEquals(ErrorCode.OPERATION_INVALID, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("is not registered and its process is not running"), e.getMessage());
        assertEquals("[]", vmA.session().release());
    }
}

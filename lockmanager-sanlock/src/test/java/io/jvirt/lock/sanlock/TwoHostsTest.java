package io.jvirt.lock.sanlock;

import io.jvirt.testkit.SanlockDaemonProcess;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.testkit.LockOwnerProcess;
import io.jvirt.spi.lock.ConfFile;
import io.jvirt.spi.lock.LockManager;
import io.jvirt.spi.lock.LockManagers;
import io.jvirt.spi.lock.LockResource;
import io.jvirt.spi.lock.LockResource.DiskMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two hosts on one machine: two real sanlock daemons (own run directories, no watchdog,
 * io_timeout 1) sharing one lease directory, with host ids 1 and 2, each driven through the
 * plugin as a driver would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class TwoHostsTest {
    private Path tmp;
    private SanlockDaemonProcess daemonA;
    private SanlockDaemonProcess daemonB;
    private LockManager hostA;
    private LockManager hostB;

    @BeforeAll
    void startHosts() throws Exception {
        tmp = Files.createTempDirectory("jvirt-sanlock");
        Path leases = Files.createDirectories(tmp.resolve("leases"));
        try {
            daemonA = SanlockDaemonProcess.start(tmp.resolve("runA"));
            daemonB = SanlockDaemonProcess.start(tmp.resolve("runB"));
            // host A through the driver's configuration files, host B through settings in code
            Path confA = Files.createDirectories(tmp.resolve("confA"));
            Files.writeString(confA.resolve("qemu.conf"), "lock_manager = \"sanlock\"\n");
            Files.writeString(confA.resolve("qemu-sanlock.conf"), """
                    # host A
                    auto_disk_leases = 1
                    disk_lease_dir = "%s"
                    host_id = 1
                    io_timeout = 1
                    socket = "%s"
                    """.formatted(leases, daemonA.socket()));
            hostA = LockManagers.forDriver(confA, "qemu");
            hostB = new SanlockLockManagerProvider().create("qemu", ConfFile.of("qemu-sanlock.conf", Map.of(
                    "auto_disk_leases", 1, "disk_lease_dir", leases.toString(), "host_id", 2, "io_timeout", 1,
                    "socket", daemonB.socket().toString())));
            long t0 = System.nanoTime();
            var vt = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
            var a = CompletableFuture.runAsync(() -> ((SanlockLockManager) hostA).ensureLockspace(), vt);
            var b = CompletableFuture.runAsync(() -> ((SanlockLockManager) hostB).ensureLockspace(), vt);
            a.join();
            b.join();
            System.out.printf("sanlock.join_both %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        } catch (Exception | Error e) {
            stopHosts();
            throw e;
        }
    }

    @AfterAll
    void stopHosts() throws Exception {
        try {
            if (daemonA != null) {
                daemonA.close();
            }
        } finally {
            try {
                if (daemonB != null) {
                    daemonB.close();
                }
            } finally {
                if (tmp != null) {
                    try (var walk = Files.walk(tmp)) {
                        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    }
                }
            }
        }
    }

    @Test
    void pluginIsFoundByName() {
        assertInstanceOf(SanlockLockManager.class, hostA);
        assertEquals("sanlock", hostA.name());
        assertTrue(Files.exists(tmp.resolve("leases").resolve(SanlockConfig.DISK_LOCKSPACE)));
    }

    @Test
    void exclusiveDiskIsBusyOnTheOtherHostUntilItsOwnerDies() throws Exception {
        String disk = tmp.resolve("images/vm1.qcow2").toString();
        List<LockResource> res = List.of(new LockResource.Disk(disk, DiskMode.EXCLUSIVE));
        try (LockOwnerProcess a = LockOwnerProcess.start(hostA, "vm1", res, tmp);
             LockOwnerProcess b = LockOwnerProcess.start(hostB, "vm1-on-b", res, tmp)) {
            a.session().acquire(null, Set.of(), List.of());
            String held = a.session().inquire();
            assertTrue(held.startsWith(SanlockConfig.DISK_LOCKSPACE + ":" + SanlockLockManager.leaseName(disk) + ":"), held);

            long t0 = System.nanoTime();
            VirtException busy = assertThrows(VirtException.class, () -> b.session().acquire(null, Set.of(), List.of()));
            System.out.printf("sanlock.busy_refusal %d ms%n", (System.nanoTime() - t0) / 1_000_000);
            assertEquals(ErrorCode.RESOURCE_BUSY, busy.code(), busy.getMessage());
            System.out.println("busy: " + busy.getMessage());
            assertTrue(busy.getMessage().startsWith("resource busy: " + disk + " is locked by "), busy.getMessage());
            assertTrue(busy.getMessage().contains("host_id 1"), busy.getMessage());
            assertEquals("", b.session().inquire());

            // the owner dies (kill -9): its connection closes, daemon A frees the lease
            a.kill9();
            long t1 = System.nanoTime();
            VirtException last = null;
            while (System.nanoTime() - t1 < 30_000_000_000L) {
                try {
                    b.session().acquire(null, Set.of(), List.of());
                    last = null;
                    break;
                } catch (VirtException e) {
                    assertEquals(ErrorCode.RESOURCE_BUSY, e.code(), e.getMessage());
                    last = e;
                    Thread.sleep(200);
                }
            }
            if (last != null) {
                throw last;
            }
            System.out.printf("sanlock.takeover_after_kill %d ms%n", (System.nanoTime() - t1) / 1_000_000);
            assertFalse(b.session().inquire().isEmpty());
            assertEquals("", a.session().release(), "a dead owner holds nothing");
        }
    }

    @Test
    void sharedDisksRunOnBothHostsButExcludeAWriter() throws Exception {
        String disk = tmp.resolve("images/shared.img").toString();
        List<LockResource> shared = List.of(new LockResource.Disk(disk, DiskMode.SHARED));
        try (LockOwnerProcess a = LockOwnerProcess.start(hostA, "s1", shared, tmp);
             LockOwnerProcess b = LockOwnerProcess.start(hostB, "s2", shared, tmp);
             LockOwnerProcess w = LockOwnerProcess.start(hostB, "writer", List.of(new LockResource.Disk(disk, DiskMode.EXCLUSIVE)), tmp)) {
            a.session().acquire(null, Set.of(), List.of());
            b.session().acquire(null, Set.of(), List.of());
            assertTrue(a.session().inquire().endsWith(":SH"), a.session().inquire());
            assertTrue(b.session().inquire().endsWith(":SH"), b.session().inquire());
            VirtException busy = assertThrows(VirtException.class, () -> w.session().acquire(null, Set.of(), List.of()));
            assertEquals(ErrorCode.RESOURCE_BUSY, busy.code(), busy.getMessage());
            assertTrue(busy.getMessage().contains(disk), busy.getMessage());
            // read-only disks take no lease at all
            try (LockOwnerProcess r = LockOwnerProcess.start(hostA, "ro", List.of(new LockResource.Disk(disk, DiskMode.READONLY)), tmp)) {
                r.session().acquire(null, Set.of(), List.of());
                assertEquals("", r.session().inquire());
            }
        }
    }

    @Test
    void releaseReturnsAStateThatReacquiresAndDetectsAnotherOwnerInBetween() throws Exception {
        String disk = tmp.resolve("images/vm3.qcow2").toString();
        String other = tmp.resolve("images/vm3-data.qcow2").toString();
        List<LockResource> res = List.of(new LockResource.Disk(disk, DiskMode.EXCLUSIVE),
                new LockResource.Disk(other, DiskMode.EXCLUSIVE));
        try (LockOwnerProcess a = LockOwnerProcess.start(hostA, "vm3", res, tmp)) {
            long t0 = System.nanoTime();
            a.session().acquire(null, Set.of(), List.of());
            long t1 = System.nanoTime();
            String state = a.session().release();
            System.out.printf("sanlock.acquire_two_disks %d ms (leases created), release %d ms%n",
                    (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
            assertEquals(2, SanlockState.entries(state).size(), state);
            for (String e : SanlockState.entries(state)) {
                assertTrue(SanlockState.fields(e).getLast().matches("[0-9]+"), "lease version in " + e);
            }
            assertEquals("", a.session().inquire(), "released");

            // suspend/resume on the same host: the saved state is accepted
            long t2 = System.nanoTime();
            a.session().acquire(state, Set.of(), List.of());
            System.out.printf("sanlock.reacquire_two_disks %d ms%n", (System.nanoTime() - t2) / 1_000_000);
            String state2 = a.session().release();
            assertFalse(state2.isEmpty());

            // while suspended, host B runs the disk for a while
            try (LockOwnerProcess b = LockOwnerProcess.start(hostB, "vm3-b", List.of(new LockResource.Disk(disk, DiskMode.EXCLUSIVE)), tmp)) {
                b.session().acquire(null, Set.of(), List.of());
                b.session().release();
            }
            // resuming with the old state must not silently take a lease someone else used
            VirtException stale = assertThrows(VirtException.class, () -> a.session().acquire(state2, Set.of(), List.of()));
            assertEquals(ErrorCode.OPERATION_FAILED, stale.code(), stale.getMessage());
            System.out.println("stale: " + stale.getMessage());
            assertTrue(stale.getMessage().contains("since the saved lock state"), stale.getMessage());
            assertEquals("", a.session().inquire(), "all or nothing: the other disk was rolled back");
            // a fresh acquire (no state) works, and repeating it keeps what is held
            a.session().acquire(null, Set.of(), List.of());
            String held = a.session().inquire();
            assertEquals(2, SanlockState.entries(held).size());
            a.session().acquire(null, Set.of(), List.of());
            assertEquals(held, a.session().inquire());
        }
    }

    @Test
    void theSpawnHelpersPreExecWindowRegistersTheProgramItself() throws Exception {
        // the QEMU driver's order: register in the pre-exec window over the child's own
        // connection, exec, acquire for the program's pid before vCPUs run, and the leases live
        // exactly as long as the program
        String disk = tmp.resolve("images/vm5.qcow2").toString();
        List<LockResource> res = List.of(new LockResource.Disk(disk, DiskMode.EXCLUSIVE));
        java.util.concurrent.atomic.AtomicReference<io.jvirt.spi.lock.LockSession> session = new java.util.concurrent.atomic.AtomicReference<>();
        io.jvirt.spi.process.PreExecHook hook = new io.jvirt.spi.process.PreExecHook() {
            @Override
            public String name() {
                return "sanlock";
            }

            @Override
            public List<Path> sockets() {
                return hostA.session(new io.jvirt.spi.lock.LockOwner(java.util.UUID.randomUUID(), "probe", -1, 1,
                        "qemu:///system"), List.of()).connectPaths();
            }

            @Override
            public void beforeExec(long pid, List<io.jvirt.spi.process.PassedSocket> sockets) {
                var s = hostA.session(new io.jvirt.spi.lock.LockOwner(java.util.UUID.randomUUID(), "vm5", 5, pid,
                        "qemu:///system"), res);
                s.acquire(null, java.util.EnumSet.of(io.jvirt.spi.lock.AcquireFlag.REGISTER_ONLY,
                        io.jvirt.spi.lock.AcquireFlag.RESTRICT), sockets.stream().map(io.jvirt.spi.process.PassedSocket::fileDescriptor).toList());
                session.set(s);
            }
        };
        Files.createDirectories(tmp.resolve("ctl"));
        var spawned = io.jvirt.spi.process.Spawner.create(tmp.resolve("ctl")).spawn(
                io.jvirt.spi.process.SpawnRequest.builder(List.of("/bin/sleep", "60")).hook(hook).build());
        try (LockOwnerProcess b = LockOwnerProcess.start(hostB, "vm5-on-b", res, tmp)) {
            session.get().acquire(null, Set.of(), List.of());
            assertFalse(session.get().inquire().isEmpty());
            VirtException busy = assertThrows(VirtException.class, () -> b.session().acquire(null, Set.of(), List.of()));
            assertEquals(ErrorCode.RESOURCE_BUSY, busy.code(), busy.getMessage());
            spawned.process().destroyForcibly();
            spawned.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            long t0 = System.nanoTime();
            while (true) {
                try {
                    b.session().acquire(null, Set.of(), List.of());
                    break;
                } catch (VirtException e) {
                    if (System.nanoTime() - t0 > 30_000_000_000L) {
                        throw e;
                    }
                    Thread.sleep(200);
                }
            }
        } finally {
            spawned.process().destroyForcibly();
            spawned.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void acquiringForAProcessThatNeverRegisteredIsRefused() {
        var s = hostA.session(new io.jvirt.spi.lock.LockOwner(java.util.UUID.randomUUID(), "ghost", 1,
                ProcessHandle.current().pid(), "qemu:///system"),
                List.of(new LockResource.Disk(tmp.resolve("images/ghost.img").toString(), DiskMode.EXCLUSIVE)));
        VirtException e = assertThrows(VirtException.class, () -> s.acquire(null, Set.of(), List.of()));
        assertEquals(ErrorCode.OPERATION_FAILED, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("is not registered with sanlock"), e.getMessage());
        assertEquals("", s.release(), "nothing held, nothing to release");
    }

    @Test
    void registrationOverAConnectionOfAnotherProcessIsRefused() throws Exception {
        // the JVM connects itself, but claims to register the owner child: sanlock would register the JVM
        try (UnixFd own = UnixFd.connect(daemonA.socket(), System.nanoTime() + 5_000_000_000L)) {
            var liar = hostA.session(new io.jvirt.spi.lock.LockOwner(java.util.UUID.randomUUID(), "liar", 1,
                    ProcessHandle.current().pid() + 1_000_000, "qemu:///system"), List.of());
            java.io.FileDescriptor fd = ownFd(own);
            VirtException e = assertThrows(VirtException.class, () -> liar.acquire(null,
                    java.util.EnumSet.of(io.jvirt.spi.lock.AcquireFlag.REGISTER_ONLY), List.of(fd)));
            assertEquals(ErrorCode.OPERATION_FAILED, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("did not register process"), e.getMessage());
        }
    }

    private static java.io.FileDescriptor ownFd(UnixFd s) throws Exception {
        return org.newsclub.net.unix.FileDescriptorCast.unsafeUsing(s.fdNumber()).getFileDescriptor();
    }
}

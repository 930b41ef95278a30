package io.jvirt.driver.qemu.lock;

import io.jvirt.testkit.FirmwareGuest;

import io.jvirt.testkit.LockdDaemonProcess;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.JobInfo;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import io.jvirt.driver.qemu.QemuDriver;
import io.jvirt.driver.qemu.process.ProcInfo;
import io.jvirt.driver.qemu.process.StatusFile;
import io.jvirt.driver.qemu.testutil.Embed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The QEMU driver with the {@code lockd} lock manager: two embed roots as two hosts sharing one
 * lockspace directory and one real jvirt-lockd daemon, real firmware-only TCG guests with raw
 * disks. QEMU's own image locks are turned off ({@code image_locking = 0}) so that, as on two real
 * hosts, only the lock manager stands between the two.
 */
@Timeout(180)
class QemuLockdTwoHostsTest {
    @TempDir
    Path tmp;
    Path rootA;
    Path rootB;
    Path disk;
    Path shared;
    Path iso;
    LockdDaemonProcess daemon;

    @BeforeEach
    void setUp() throws Exception {
        Path lockspace = Files.createDirectories(tmp.resolve("lockspace"));
        Path images = Files.createDirectories(tmp.resolve("images"));
        disk = image(images.resolve("disk.img"));
        shared = image(images.resolve("shared.img"));
        iso = image(images.resolve("ro.img"));
        daemon = LockdDaemonProcess.start(tmp.resolve("lockd.sock"), tmp.resolve("lockd.log"));
        rootA = host("a", lockspace);
        rootB = host("b", lockspace);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            Embed.killAll(rootA);
            Embed.killAll(rootB);
        } finally {
            daemon.close();
        }
    }

    private static Path image(Path p) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        return p;
    }

    private Path host(String name, Path lockspace) throws Exception {
        return host(name, lockspace, "");
    }

    private Path host(String name, Path lockspace, String extra) throws Exception {
        Path root = Files.createDirectories(tmp.resolve(name));
        Files.writeString(root.resolve("qemu.conf"), "lock_manager = \"lockd\"\nimage_locking = 0\n");
        Files.writeString(root.resolve("qemu-lockd.conf"), "socket = \"" + daemon.socket() + "\"\nfile_lockspace_dir = \""
                + lockspace + "\"\n" + extra);
        return root;
    }

    /** A tiny guest with raw virtio disks: {@code exclusive}, plus {@code shareable} and {@code readonly} ones. */
    static String xml(String name, Path exclusive, Path shareable, Path readonly) {
        StringBuilder disks = new StringBuilder();
        char dev = 'a';
        for (Path[] d : new Path[][]{{exclusive, null}, {shareable, Path.of("shareable")}, {readonly, Path.of("readonly")}}) {
            if (d[0] != null) {
                disks.append(FirmwareGuest.rawDisk(d[0], "vd" + dev++, d[1] == null ? "" : "<" + d[1] + "/>"));
            }
        }
        return FirmwareGuest.xml(name, disks.toString());
    }

    /** Every process whose command line names {@code root} (QEMUs of that host). */
    static List<ProcessHandle> qemusOf(Path root) {
        return ProcessHandle.allProcesses().filter(p -> {
            List<String> cmd = ProcInfo.cmdline(p.pid());
            return !cmd.isEmpty() && cmd.get(0).contains("qemu-system") && String.join(" ", cmd).contains(root.toString());
        }).toList();
    }

    static void await(String what, long millis, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Shut off, or (transient) already gone from the list. */
    static boolean stopped(Domain d) {
        try {
            return d.state().state() == DomainState.SHUTOFF;
        } catch (VirtException e) {
            if (e.code() == ErrorCode.NO_DOMAIN) {
                return true;
            }
            throw e;
        }
    }

    private void assertBusy(Connection b, String xml, Path lockedDisk) {
        VirtException e = assertThrows(VirtException.class, () -> b.createDomain(xml));
        assertEquals(ErrorCode.RESOURCE_BUSY, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("resource busy: " + lockedDisk + " is locked by"), e.getMessage());
        assertTrue(qemusOf(rootB).isEmpty(), "no QEMU may be left running on host B: " + qemusOf(rootB));
    }

    @Test
    void secondHostCannotRunTheDiskUntilTheFirstLetsGo() throws Exception {
        try (Connection a = Virt.open(Embed.uri(rootA)); Connection b = Virt.open(Embed.uri(rootB))) {
            Domain va = a.createDomain(xml("va", disk, shared, iso));
            assertEquals(DomainState.RUNNING, va.state().state());

            // the exclusive disk is A's: B's start fails, and B's QEMU is gone
            assertBusy(b, xml("vb", disk, null, null), disk);

            // shared disks run on both; read-only disks take no lock by default (readonly_disks = "none"),
            // so even a writable use of A's read-only disk is not refused
            Domain vb = b.createDomain(xml("vb", null, shared, iso));
            assertEquals(DomainState.RUNNING, vb.state().state());
            vb.destroy();
            Domain vw = b.createDomain(xml("vw", iso, null, null));
            vw.destroy();

            // A stops: B can take the disk
            va.destroy();
            Domain vb2 = b.createDomain(xml("vb2", disk, null, null));
            assertEquals(DomainState.RUNNING, vb2.state().state());
            // ... and now A cannot
            VirtException e = assertThrows(VirtException.class, () -> a.createDomain(xml("va", disk, null, null)));
            assertEquals(ErrorCode.RESOURCE_BUSY, e.code(), e.getMessage());
            assertTrue(qemusOf(rootA).isEmpty());

            // B's QEMU killed -9: the daemon sees its connection close, A can start
            long pid = Embed.pids(rootB).getFirst();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            await("B's guest to be seen crashed", 10_000, () -> stopped(vb2));
            Domain va2 = a.createDomain(xml("va", disk, null, null));
            assertEquals(DomainState.RUNNING, va2.state().state());
            va2.destroy();
        }
    }

    @Test
    void saveReleasesAtStopACancelledSaveReacquiresAndRestoreHoldsTheDiskAgain() throws Exception {
        Path saves = Files.createDirectories(tmp.resolve("saves"));
        Path img = saves.resolve("va.save");
        try (Connection a = Virt.open(Embed.uri(rootA)); Connection b = Virt.open(Embed.uri(rootB))) {
            a.unwrap(QemuDriver.class).setSaveBandwidth(32 * 1024); // slow enough to look inside the save
            Domain va = a.createDomain(xml("va", disk, null, null));
            assertEquals(List.of("va"), LockdHolders.of(daemon.socket(), disk.toString()));

            java.util.concurrent.CompletableFuture<Void> save = new java.util.concurrent.CompletableFuture<>();
            Thread.ofPlatform().start(() -> {
                try {
                    va.save(img);
                    save.complete(null);
                } catch (Throwable t) {
                    save.completeExceptionally(t);
                }
            });
            await("the save to stream memory", 20_000, () -> {
                JobInfo info = va.jobInfo();
                return info.type() == JobInfo.Type.UNBOUNDED || info.type() == JobInfo.Type.BOUNDED
                        ? info.memProcessed() > 0 : save.isDone();
            });
            assertTrue(!save.isDone(), "the save ended too early to be looked at");
            assertEquals(DomainState.PAUSED, va.state().state());
            assertEquals(List.of(), LockdHolders.of(daemon.socket(), disk.toString()), "stopped vCPUs hold no lock");
            assertNotNull(StatusFile.read(rootA.resolve("run/va.status.json")).lockState(), "the released state is kept");

            va.abortJob();
            java.util.concurrent.ExecutionException aborted = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> save.get(10, TimeUnit.SECONDS));
            assertEquals(ErrorCode.OPERATION_ABORTED, ((VirtException) aborted.getCause()).code(), aborted.getCause().toString());
            assertEquals(DomainState.RUNNING, va.state().state());
            assertEquals(List.of("va"), LockdHolders.of(daemon.socket(), disk.toString()), "running again, with its lock");
            assertBusy(b, xml("vb", disk, null, null), disk);

            a.unwrap(QemuDriver.class).setSaveBandwidth(0);
            va.save(img);
            assertEquals(List.of(), LockdHolders.of(daemon.socket(), disk.toString()), "saved: QEMU gone, no lock");
            Domain r = a.restoreDomain(img);
            assertEquals(DomainState.RUNNING, r.state().state());
            assertEquals(List.of("va"), LockdHolders.of(daemon.socket(), disk.toString()), "restored: locked before cont");
            assertBusy(b, xml("vb", disk, null, null), disk);
            r.destroy();
        }
    }

    @Test
    void suspendReleasesResumeReacquiresAndFailsPausedWhenTakenMeanwhile() throws Exception {
        try (Connection a = Virt.open(Embed.uri(rootA)); Connection b = Virt.open(Embed.uri(rootB))) {
            Domain va = a.createDomain(xml("va", disk, null, null));
            assertBusy(b, xml("vb", disk, null, null), disk);

            va.suspend();
            StatusFile st = StatusFile.read(rootA.resolve("run/va.status.json"));
            assertNotNull(st.lockState(), "the released lock state is kept in the status file");
            assertTrue(st.lockState().contains(disk.toString()) || st.lockState().contains("exclusive"), st.lockState());

            // paused guests hold no lock: B may take the disk
            Domain vb = b.createDomain(xml("vb", disk, null, null));
            assertEquals(DomainState.RUNNING, vb.state().state());

            // A's resume must now fail and leave A paused
            VirtException e = assertThrows(VirtException.class, va::resume);
            assertEquals(ErrorCode.RESOURCE_BUSY, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("resource busy: " + disk), e.getMessage());
            assertEquals(DomainState.PAUSED, va.state().state());

            // once B let go, A resumes and holds the disk again
            vb.destroy();
            va.resume();
            assertEquals(DomainState.RUNNING, va.state().state());
            assertBusy(b, xml("vb", disk, null, null), disk);
            va.destroy();
        }
    }

    @Test
    void readonlyDisksTakeSharedLocksWhenConfigured() throws Exception {
        Path lockspace = tmp.resolve("lockspace");
        Path rootC = host("c", lockspace, "readonly_disks = \"shared\"\n");
        Path rootD = host("d", lockspace, "readonly_disks = \"shared\"\n");
        try (Connection c = Virt.open(Embed.uri(rootC)); Connection dConn = Virt.open(Embed.uri(rootD))) {
            Domain vc = c.createDomain(xml("vc", null, null, iso));
            // another reader is fine, a writer is refused
            Domain vd = dConn.createDomain(xml("vd", null, null, iso));
            vd.destroy();
            VirtException e = assertThrows(VirtException.class, () -> dConn.createDomain(xml("vw", iso, null, null)));
            assertEquals(ErrorCode.RESOURCE_BUSY, e.code(), e.getMessage());
            assertTrue(qemusOf(rootD).isEmpty());
            vc.destroy();
        } finally {
            Embed.killAll(rootC);
            Embed.killAll(rootD);
        }
    }

    /** The message for a daemon that is down: what, which socket, how to start it. */
    private void assertDaemonDown(VirtException e, String refused) {
        assertEquals(ErrorCode.OPERATION_FAILED, e.code(), e.getMessage());
        String sock = daemon.socket().toString();
        assertTrue(e.getMessage().contains("jvirt-lockd is not running: cannot connect to " + sock + " ("), e.getMessage());
        assertTrue(e.getMessage().contains("start it with 'bin/jvirt-lockd --socket " + sock + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("refusing to " + refused), e.getMessage());
    }

    @Test
    void daemonDownRefusesStart() throws Exception {
        daemon.close();
        try (Connection a = Virt.open(Embed.uri(rootA))) {
            VirtException e = assertThrows(VirtException.class, () -> a.createDomain(xml("va", disk, null, null)));
            assertTrue(e.getMessage().startsWith("cannot start domain 'va': jvirt-lockd is not running"), e.getMessage());
            assertDaemonDown(e, "register domain 'va'");
            assertTrue(qemusOf(rootA).isEmpty());
            assertTrue(a.listDomains().isEmpty(), "the transient domain is gone");
        }
    }

    @Test
    void daemonDownRefusesResumeAndTheGuestStaysPaused() throws Exception {
        try (Connection a = Virt.open(Embed.uri(rootA))) {
            Domain va = a.createDomain(xml("va", disk, null, null));
            va.suspend();
            long pid = Embed.pids(rootA).getFirst();
            daemon.close();
            VirtException e = assertThrows(VirtException.class, va::resume);
            assertTrue(e.getMessage().startsWith("cannot resume domain 'va' (it stays paused): jvirt-lockd is not running"),
                    e.getMessage());
            assertDaemonDown(e, "acquire locks for domain 'va'");
            assertEquals(DomainState.PAUSED, va.state().state());
            assertTrue(ProcInfo.isAlive(pid), "QEMU keeps running, paused");
            String status = va.unwrap(io.jvirt.api.qemu.QemuDomain.class).monitorCommand("{\"execute\":\"query-status\"}",
                    java.time.Duration.ofSeconds(10));
            assertTrue(status.contains("\"running\":false"), status);
            va.destroy();
        }
    }
}

package io.jvirt.driver.qemu.lock;

import io.jvirt.testkit.LockdDaemonProcess;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import io.jvirt.api.qemu.QemuDomain;
import io.jvirt.driver.qemu.monitor.QmpMonitor;
import io.jvirt.driver.qemu.process.BeforeContSeam;
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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.jvirt.driver.qemu.lock.QemuLockdTwoHostsTest.qemusOf;
import static io.jvirt.driver.qemu.lock.QemuLockdTwoHostsTest.xml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@code cont} that QEMU refuses after the locks were acquired: the locks are released again,
 * and the domain is left paused (resume) or shut off with its QEMU gone (start). Real QEMU, real
 * jvirt-lockd, two embed roots as two hosts. QEMU's refusal is real: a detached memory dump into
 * a FIFO nobody reads never finishes, and while a dump is in progress QEMU answers {@code cont}
 * with "There is a dump in process, please wait." Closing the FIFO makes the dump fail, after
 * which {@code cont} works. On the start path the dump is begun through the driver's
 * {@link BeforeContSeam} (after the acquire, before {@code cont}); on resume through QMP
 * passthrough while the guest is paused.
 */
@Timeout(180)
class QemuLockdContFailureTest {
    private static final String DUMP_REFUSAL = "There is a dump in process";
    @TempDir
    Path tmp;
    Path rootA;
    Path rootB;
    Path disk;
    Path fifo;
    LockdDaemonProcess daemon;
    RandomAccessFile fifoEnd;

    @BeforeEach
    void setUp() throws Exception {
        Path lockspace = Files.createDirectories(tmp.resolve("lockspace"));
        disk = tmp.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        daemon = LockdDaemonProcess.start(tmp.resolve("lockd.sock"), tmp.resolve("lockd.log"));
        rootA = host("a", lockspace);
        rootB = host("b", lockspace);
        fifo = tmp.resolve("dump.fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo failed");
        // read+write: opening a FIFO this way does not wait for a peer, and it makes QEMU's open for
        // writing succeed at once; nobody reads, so the dump stalls once the pipe buffer is full
        fifoEnd = new RandomAccessFile(fifo.toFile(), "rw");
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            fifoEnd.close();
            Embed.killAll(rootA);
            Embed.killAll(rootB);
        } finally {
            daemon.close();
        }
    }

    private Path host(String name, Path lockspace) throws Exception {
        Path root = Files.createDirectories(tmp.resolve(name));
        Files.writeString(root.resolve("qemu.conf"), "lock_manager = \"lockd\"\nimage_locking = 0\n");
        Files.writeString(root.resolve("qemu-lockd.conf"), "socket = \"" + daemon.socket() + "\"\nfile_lockspace_dir = \""
                + lockspace + "\"\n");
        return root;
    }

    private String dumpCommand() {
        return "{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":false,\"detach\":true,\"protocol\":\"file:"
                + fifo + "\"}}";
    }

    /** B can run the disk (so A holds no lock on it), and lets go again. */
    private void hostBCanRunTheDisk(Connection b) {
        Domain vb = b.createDomain(xml("vb", disk, null, null));
        assertEquals(DomainState.RUNNING, vb.state().state());
        assertEquals(List.of("vb"), LockdHolders.of(daemon.socket(), disk.toString()));
        vb.destroy();
        assertEquals(List.of(), LockdHolders.of(daemon.socket(), disk.toString()));
    }

    private void assertBusyOnB(Connection b) {
        VirtException e = assertThrows(VirtException.class, () -> b.createDomain(xml("vb", disk, null, null)));
        assertEquals(ErrorCode.RESOURCE_BUSY, e.code(), e.getMessage());
        assertTrue(qemusOf(rootB).isEmpty(), "no QEMU may be left on host B");
    }

    @Test
    void failedContOnResumeReleasesTheLocksAndLeavesTheGuestPaused() throws Exception {
        try (Connection a = Virt.open(Embed.uri(rootA)); Connection b = Virt.open(Embed.uri(rootB))) {
            Domain va = a.createDomain(xml("va", disk, null, null));
            assertEquals(List.of("va"), LockdHolders.of(daemon.socket(), disk.toString()));
            va.suspend();
            assertEquals(List.of(), LockdHolders.of(daemon.socket(), disk.toString()), "a paused guest holds no lock");

            QemuDomain qa = va.unwrap(QemuDomain.class);
            String r = qa.monitorCommand(dumpCommand(), Duration.ofSeconds(10));
            assertTrue(r.contains("\"return\""), r);
            long pid = Embed.pids(rootA).getFirst();

            VirtException e = assertThrows(VirtException.class, va::resume);
            assertTrue(e.getMessage().contains(DUMP_REFUSAL), e.getMessage());
            assertTrue(e.getMessage().contains("cannot resume domain 'va' (it stays paused, its locks released)"), e.getMessage());
            assertEquals(DomainState.PAUSED, va.state().state());
            assertTrue(ProcInfo.isAlive(pid), "QEMU keeps running (paused)");
            String status = qa.monitorCommand("{\"execute\":\"query-status\"}", Duration.ofSeconds(10));
            assertTrue(status.contains("\"running\":false"), status);
            assertEquals(List.of(), LockdHolders.of(daemon.socket(), disk.toString()), "the locks taken for the failed cont are released");
            assertNotNull(StatusFile.read(rootA.resolve("run/va.status.json")).lockState(), "the lock state is kept");
            hostBCanRunTheDisk(b);

            // the dump fails once its FIFO has no reader; then cont works and the locks come back
            fifoEnd.close();
            QemuLockdTwoHostsTest.await("the dump to end", 10_000, () -> !qa.monitorCommand("{\"execute\":\"query-dump\"}",
                    Duration.ofSeconds(10)).contains("\"active\""));
            va.resume();
            assertEquals(DomainState.RUNNING, va.state().state());
            assertEquals(List.of("va"), LockdHolders.of(daemon.socket(), disk.toString()));
            assertBusyOnB(b);
            va.destroy();
            assertEquals(List.of(), LockdHolders.of(daemon.socket(), disk.toString()));
        }
    }

    @Test
    void failedContOnStartReleasesTheLocksAndShutsTheGuestOff() throws Exception {
        List<List<String>> heldBeforeCont = new CopyOnWriteArrayList<>();
        List<Long> qemuPids = new CopyOnWriteArrayList<>();
        BeforeContSeam.Hook dumpThenCont = (name, runDir, mon) -> {
            if (!runDir.startsWith(rootA)) {
                return;
            }
            heldBeforeCont.add(LockdHolders.of(daemon.socket(), disk.toString()));
            qemuPids.addAll(pidsOf(rootA));
            mon.passthrough(dumpCommand(), Duration.ofSeconds(10));
        };
        try (Connection a = Virt.open(Embed.uri(rootA)); Connection b = Virt.open(Embed.uri(rootB))) {
            try (AutoCloseable seam = BeforeContSeam.install(dumpThenCont)) {
                VirtException e = assertThrows(VirtException.class, () -> a.createDomain(xml("va", disk, null, null)));
                assertTrue(e.getMessage().contains("cannot start domain 'va'"), e.getMessage());
                assertTrue(e.getMessage().contains(DUMP_REFUSAL), e.getMessage());
            }
            assertEquals(List.of(List.of("va")), heldBeforeCont, "the disk was locked for va just before cont");
            assertEquals(1, qemuPids.size(), qemuPids.toString());
            assertTrue(ProcInfo.awaitDeath(qemuPids.getFirst(), TimeUnit.SECONDS.toNanos(5)), "va's QEMU is gone");
            assertTrue(qemusOf(rootA).isEmpty());
            assertTrue(a.listDomains().isEmpty(), "the transient domain is gone (shut off)");
            assertEquals(List.of(), LockdHolders.of(daemon.socket(), disk.toString()), "the locks are released");
            hostBCanRunTheDisk(b);

            // without the fault the same start works and holds the disk
            Domain va = a.createDomain(xml("va", disk, null, null));
            assertEquals(DomainState.RUNNING, va.state().state());
            assertEquals(List.of("va"), LockdHolders.of(daemon.socket(), disk.toString()));
            assertBusyOnB(b);
            va.destroy();
        }
    }

    private static List<Long> pidsOf(Path root) {
        return qemusOf(root).stream().map(ProcessHandle::pid).toList();
    }
}

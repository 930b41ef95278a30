package io.jvirt.driver.qemu.lock;

import io.jvirt.testkit.FirmwareGuest;

import io.jvirt.testkit.SanlockDaemonProcess;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import io.jvirt.driver.qemu.testutil.Embed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.jvirt.driver.qemu.lock.QemuLockdTwoHostsTest.await;
import static io.jvirt.driver.qemu.lock.QemuLockdTwoHostsTest.qemusOf;
import static io.jvirt.driver.qemu.lock.QemuLockdTwoHostsTest.stopped;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The QEMU driver with the {@code sanlock} lock manager: two embed roots as two hosts, each with
 * its own real sanlock daemon (host ids 1 and 2, io_timeout 1) sharing one lease directory, real
 * TCG guests. A guest's disk gets an automatic lease and its {@code <lease>} an explicit one (in
 * the plugin's lockspace, its lease area initialised by the test with {@code sanlock direct init}).
 * QEMU's own image locks are off, so only sanlock stands between the two "hosts".
 */
@Timeout(240)
class QemuSanlockTwoHostsTest {
    static final String LOCKSPACE = "__JVIRT__DISKS__";
    @TempDir
    Path tmp;
    Path rootA;
    Path rootB;
    Path disk;
    Path leaseFile;
    SanlockDaemonProcess sanlockA;
    SanlockDaemonProcess sanlockB;

    @BeforeEach
    void setUp() throws Exception {
        Path leases = Files.createDirectories(tmp.resolve("leases"));
        disk = tmp.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        leaseFile = leases.resolve("vm-lease");
        try (RandomAccessFile f = new RandomAccessFile(leaseFile.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        Process init = new ProcessBuilder(SanlockDaemonProcess.SANLOCK.toString(), "direct", "init", "-r",
                LOCKSPACE + ":vmlease:" + leaseFile + ":0").redirectErrorStream(true).start();
        assertTrue(init.waitFor(30, TimeUnit.SECONDS), "sanlock direct init did not finish");
        assertEquals(0, init.exitValue(), new String(init.getInputStream().readAllBytes()));
        sanlockA = SanlockDaemonProcess.start(tmp.resolve("runA"));
        sanlockB = SanlockDaemonProcess.start(tmp.resolve("runB"));
        rootA = host("a", 1, sanlockA, leases);
        rootB = host("b", 2, sanlockB, leases);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            Embed.killAll(rootA);
            Embed.killAll(rootB);
        } finally {
            try {
                sanlockA.close();
            } finally {
                sanlockB.close();
            }
        }
    }

    private Path host(String name, int hostId, SanlockDaemonProcess daemon, Path leases) throws Exception {
        Path root = Files.createDirectories(tmp.resolve(name));
        Files.writeString(root.resolve("qemu.conf"), "lock_manager = \"sanlock\"\nimage_locking = 0\n");
        Files.writeString(root.resolve("qemu-sanlock.conf"), """
                auto_disk_leases = 1
                disk_lease_dir = "%s"
                host_id = %d
                io_timeout = 1
                socket = "%s"
                """.formatted(leases, hostId, daemon.socket()));
        return root;
    }

    /** A tiny guest with the shared disk and/or the explicit lease. */
    private String xml(String name, boolean withDisk, boolean withLease) {
        String devices = (withDisk ? FirmwareGuest.rawDisk(disk) : "")
                + (withLease ? "    <lease><lockspace>" + LOCKSPACE + "</lockspace><key>vmlease</key><target path='"
                + leaseFile + "' offset='0'/></lease>\n" : "");
        return FirmwareGuest.xml(name, devices);
    }

    private void assertBusyOnB(Connection b, String name, boolean withDisk, boolean withLease, String what) {
        VirtException e = assertThrows(VirtException.class, () -> b.createDomain(xml(name, withDisk, withLease)));
        System.out.println("sanlock busy: " + e.getMessage());
        assertEquals(ErrorCode.RESOURCE_BUSY, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("resource busy: " + what + " is locked by host_id 1"), e.getMessage());
        assertTrue(qemusOf(rootB).isEmpty(), "no QEMU may be left on host B: " + qemusOf(rootB));
    }

    @Test
    void leasesKeepTheSecondHostOutUntilTheFirstGuestIsDestroyedOrKilled() throws Exception {
        try (Connection a = Virt.open(Embed.uri(rootA)); Connection b = Virt.open(Embed.uri(rootB))) {
            long t0 = System.nanoTime();
            Domain va = a.createDomain(xml("va", true, true));
            System.out.printf("sanlock: first start on A (joins the lockspace) %d ms%n", (System.nanoTime() - t0) / 1_000_000);
            assertEquals(DomainState.RUNNING, va.state().state());

            // the disk's automatic lease and the explicit <lease> are both A's
            assertBusyOnB(b, "vb", true, false, disk.toString());
            assertBusyOnB(b, "vl", false, true, "lease " + LOCKSPACE + "/vmlease");

            // A's guest destroyed: B can take both
            va.destroy();
            Domain vb = b.createDomain(xml("vb", true, true));
            assertEquals(DomainState.RUNNING, vb.state().state());
            VirtException e = assertThrows(VirtException.class, () -> a.createDomain(xml("va", true, false)));
            assertEquals(ErrorCode.RESOURCE_BUSY, e.code(), e.getMessage());
            assertTrue(qemusOf(rootA).isEmpty());

            // B's QEMU killed -9: the daemon frees its leases when its connection closes; A can start
            long pid = Embed.pids(rootB).getFirst();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            await("B's guest to be seen crashed", 10_000, () -> stopped(vb));
            Domain va2 = a.createDomain(xml("va", true, true));
            assertEquals(DomainState.RUNNING, va2.state().state());

            // suspend releases (the state keeps the lease versions); a resume after B used the disk
            // meanwhile is refused and A stays paused; without interference the resume re-acquires
            va2.suspend();
            String state = io.jvirt.driver.qemu.process.StatusFile.read(rootA.resolve("run/va.status.json")).lockState();
            assertTrue(state != null && state.contains(LOCKSPACE + ":vmlease:"), state);
            va2.resume();
            assertBusyOnB(b, "vb", true, false, disk.toString());
            va2.suspend();
            Domain vb2 = b.createDomain(xml("vb", true, false));
            vb2.destroy();
            VirtException stale = assertThrows(VirtException.class, va2::resume);
            System.out.println("sanlock stale resume: " + stale.getMessage());
            assertTrue(stale.getMessage().contains("cannot resume domain 'va' (it stays paused)"), stale.getMessage());
            assertTrue(stale.getMessage().contains("taken by another owner since the saved lock state"), stale.getMessage());
            assertEquals(DomainState.PAUSED, va2.state().state());
            va2.destroy();
        }
    }
}

package io.jvirt.driver.qemu.driver;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainEvent;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.StateReason;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import io.jvirt.driver.qemu.QemuDriver;
import io.jvirt.driver.qemu.process.ProcInfo;
import io.jvirt.driver.qemu.testutil.Embed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The QEMU driver's lifecycle with real firmware-only TCG guests on an embed root. */
@Timeout(90)
class QemuLifecycleTest {
    @TempDir
    Path root;

    @AfterEach
    void killLeftovers() throws Exception {
        Embed.killAll(root);
    }

    static void await(String what, long millis, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    private static long pid(Path root) throws Exception {
        List<Long> pids = Embed.pids(root);
        assertEquals(1, pids.size(), pids.toString());
        return pids.get(0);
    }

    @Test
    void defineStartSuspendResumeDestroyUndefine() throws Exception {
        try (Connection c = Virt.open(Embed.uri(root))) {
            List<DomainEvent> events = new CopyOnWriteArrayList<>();
            c.events().subscribe(events::add);
            Domain d = c.defineDomain(Embed.tinyXml("t1"));
            assertTrue(Files.exists(root.resolve("etc/t1.xml")));
            assertEquals(DomainState.SHUTOFF, d.state().state());
            d.start();
            assertEquals(DomainState.RUNNING, d.state().state());
            assertEquals(StateReason.BOOTED, d.state().reason());
            assertTrue(d.id() > 0);
            long pid = pid(root);
            assertTrue(ProcInfo.isAlive(pid));
            assertTrue(Files.readString(root.resolve("log/t1.log")).contains("starting domain t1"));
            assertTrue(d.xml().contains("id=\"" + d.id() + "\""), d.xml());
            d.suspend();
            assertEquals(DomainState.PAUSED, d.state().state());
            assertThrows(VirtException.class, d::suspend);
            d.resume();
            assertEquals(DomainState.RUNNING, d.state().state());
            assertEquals(StateReason.UNPAUSED, d.state().reason());
            long t0 = System.nanoTime();
            d.destroy();
            long destroyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(destroyMs < 3000, "destroy took " + destroyMs + " ms");
            assertFalse(ProcInfo.isAlive(pid));
            assertEquals(DomainState.SHUTOFF, d.state().state());
            assertEquals(StateReason.DESTROYED, d.state().reason());
            assertEquals(-1, d.id());
            assertTrue(Embed.pids(root).isEmpty(), "status file left behind");
            d.undefine();
            assertFalse(Files.exists(root.resolve("etc/t1.xml")));
            await("events", 5000, () -> events.size() >= 6);
            assertEquals(List.of("Defined Added", "Started Booted", "Suspended Paused", "Resumed Unpaused",
                    "Stopped Destroyed", "Undefined Removed"), events.stream()
                    .map(e -> ((DomainEvent.LifecycleEvent) e).kind().label() + " " + ((DomainEvent.LifecycleEvent) e).detail())
                    .toList());
        }
    }

    @Test
    void qemuKilledFromOutsideIsShutOffCrashedWithinASecond() throws Exception {
        try (Connection c = Virt.open(Embed.uri(root))) {
            Domain d = c.createDomain(Embed.tinyXml("victim"));
            d.suspend(); // a paused domain: the kill lands between calls
            long pid = pid(root);
            long t0 = System.nanoTime();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            await("shut off after kill -9", 1000, () -> {
                try {
                    return !d.isActive();
                } catch (VirtException e) {
                    return e.code() == ErrorCode.NO_DOMAIN; // a transient domain is gone once it stops
                }
            });
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) <= 1000);
            assertThrows(VirtException.class, () -> c.lookupDomainByName("victim"));
        }
    }

    @Test
    void persistentDomainKilledIsCrashedAndStartsAgain() throws Exception {
        try (Connection c = Virt.open(Embed.uri(root))) {
            Domain d = c.defineDomain(Embed.tinyXml("p1"));
            d.start();
            int firstId = d.id();
            ProcessHandle.of(pid(root)).orElseThrow().destroyForcibly();
            await("crashed", 1000, () -> !d.isActive());
            assertEquals(StateReason.CRASHED, d.state().reason());
            d.start();
            assertTrue(d.id() > firstId, "ids grow");
            d.destroy();
        }
    }

    @Test
    void killDuringAMonitorCommandFailsTheCallerWithinASecond() throws Exception {
        try (Connection c = Virt.open(Embed.uri(root))) {
            long readersBefore = qmpThreads();
            Domain d = c.defineDomain(Embed.tinyXml("busy"));
            d.start();
            long pid = pid(root);
            QemuDriver drv = c.unwrap(QemuDriver.class);
            io.jvirt.spi.DomainObj obj = drv.domains().byName("busy");
            // SIGSTOP QEMU so a command hangs in flight, then SIGKILL it
            new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
            java.util.concurrent.CompletableFuture<Throwable> caller = new java.util.concurrent.CompletableFuture<>();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    drv.qemuMonitorCommand(obj, "{\"execute\":\"query-status\"}", java.time.Duration.ofSeconds(30));
                    caller.complete(null);
                } catch (Throwable e) {
                    caller.complete(e);
                }
            });
            Thread.sleep(200);
            assertFalse(caller.isDone(), "the command should be stuck");
            long t0 = System.nanoTime();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            Throwable err = caller.get(1, TimeUnit.SECONDS);
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 1000);
            assertTrue(err instanceof VirtException, String.valueOf(err));
            t.join(1000);
            await("shut off", 1000, () -> !d.isActive());
            assertEquals(StateReason.CRASHED, d.state().reason());
            await("monitor threads gone", 2000, () -> qmpThreads() == readersBefore);
        }
    }

    /** Live QMP reader and event threads. */
    private static long qmpThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("qmp-") && !t.getName().equals("qmp-timeouts"))
                .count();
    }

    @Test
    void invalidOperationsOnAnInactiveDomain() {
        try (Connection c = Virt.open(Embed.uri(root))) {
            Domain d = c.defineDomain(Embed.tinyXml("idle"));
            for (Runnable op : List.<Runnable>of(d::destroy, d::suspend, d::resume, d::shutdown, d::reboot)) {
                VirtException e = assertThrows(VirtException.class, op::run);
                assertEquals(ErrorCode.OPERATION_INVALID, e.code(), e.getMessage());
            }
            d.undefine();
        }
    }

    @Test
    void kvmAndUnknownTypesAreCheckedAndBadConfigsFailClearly() {
        try (Connection c = Virt.open(Embed.uri(root))) {
            VirtException e = assertThrows(VirtException.class, () -> c.createDomain(Embed.tinyXml("m")
                    .replace("machine='pc'", "machine='virt'")));
            assertEquals(ErrorCode.CONFIG_UNSUPPORTED, e.code());
            assertTrue(e.getMessage().contains("machine type 'virt'"), e.getMessage());
            assertThrows(VirtException.class, () -> c.lookupDomainByName("m"), "nothing left behind");
            assertTrue(c.capabilities().guests().get(0).domainTypes().contains("qemu"));
        }
    }

    @Test
    void qemuRefusingToStartGivesItsOwnErrorAndLeavesNothingBehind() throws Exception {
        try (Connection c = Virt.open(Embed.uri(root))) {
            Domain d = c.defineDomain(Embed.tinyXml("nodisk").replace("</features>", """
                    </features>
                    <devices>
                      <disk type='file' device='disk'>
                        <driver name='qemu' type='raw'/>
                        <source file='/nonexistent/disk.img'/>
                        <target dev='vda' bus='virtio'/>
                      </disk>
                    </devices>"""));
            VirtException e = assertThrows(VirtException.class, d::start);
            assertTrue(e.getMessage().contains("cannot start domain 'nodisk'"), e.getMessage());
            assertTrue(e.getMessage().contains("/nonexistent/disk.img"), "QEMU's own words: " + e.getMessage());
            assertEquals(DomainState.SHUTOFF, d.state().state());
            assertEquals(StateReason.FAILED, d.state().reason());
            assertTrue(Embed.pids(root).isEmpty());
            try (var s = Files.list(root.resolve("run"))) {
                assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("d")), "run directory left behind");
            }
            d.undefine();
        }
    }

    @Test
    void aGarbageStatusFileDoesNotStopTheHostFromOpening() throws Exception {
        Files.createDirectories(root.resolve("run"));
        Files.writeString(root.resolve("run/broken.status.json"), "{not json");
        try (Connection c = Virt.open(Embed.uri(root))) {
            assertTrue(c.listDomains().isEmpty());
            Domain d = c.createDomain(Embed.tinyXml("fine"));
            assertTrue(d.isActive());
            d.destroy();
        }
    }
}

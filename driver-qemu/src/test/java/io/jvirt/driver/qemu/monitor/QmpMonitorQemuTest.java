package io.jvirt.driver.qemu.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.driver.qemu.testutil.TestQemu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The QMP client against a real QEMU. */
@Timeout(60)
class QmpMonitorQemuTest {
    @TempDir
    Path dir;

    /** Records events and the close, with the thread each ran on. */
    static final class Recorder implements QmpListener {
        final BlockingQueue<QmpEvent> events = new LinkedBlockingQueue<>();
        final List<String> threads = new ArrayList<>();
        final CountDownLatch closed = new CountDownLatch(1);
        final AtomicReference<Throwable> closeError = new AtomicReference<>();

        @Override
        public void onEvent(QmpEvent event) {
            synchronized (threads) {
                threads.add(Thread.currentThread().getName());
            }
            events.add(event);
        }

        @Override
        public void onClosed(Throwable error) {
            closeError.set(error);
            closed.countDown();
        }
    }

    @Test
    void connectsNegotiatesAndRunsCommands() throws Exception {
        try (TestQemu qemu = TestQemu.start(dir)) {
            // connect is issued right after spawn: it must retry until QEMU listens
            try (QmpMonitor mon = QmpMonitor.connect(qemu.qmp(), QmpListener.ignoring(), QmpMonitor.Options.defaults(),
                    qemu::isAlive)) {
                assertEquals(7, mon.greeting().path("version").path("qemu").path("major").asInt());
                JsonNode status = mon.execute("query-status");
                assertTrue(status.has("status"), status.toString());
                JsonNode version = mon.execute("query-version");
                assertEquals(2, version.path("qemu").path("minor").asInt());
            }
        }
    }

    @Test
    void qemuErrorsBecomeVirtExceptionsWithClassAndDescription() throws Exception {
        try (TestQemu qemu = TestQemu.start(dir);
             QmpMonitor mon = QmpMonitor.connect(qemu.qmp(), QmpListener.ignoring(), QmpMonitor.Options.defaults(), qemu::isAlive)) {
            QmpError e = assertThrows(QmpError.class, () -> mon.execute("no-such-command"));
            assertEquals(ErrorCode.OPERATION_FAILED, e.code());
            assertEquals("CommandNotFound", e.errorClass());
            assertTrue(e.getMessage().startsWith("QEMU: CommandNotFound: "), e.getMessage());
            assertTrue(e.getMessage().contains("no-such-command"), e.getMessage());
            // the monitor is still fine
            assertTrue(mon.execute("query-status").has("status"));
        }
    }

    @Test
    void pipelinesCommandsFromManyThreads() throws Exception {
        try (TestQemu qemu = TestQemu.start(dir);
             QmpMonitor mon = QmpMonitor.connect(qemu.qmp(), QmpListener.ignoring(), QmpMonitor.Options.defaults(), qemu::isAlive)) {
            List<CompletableFuture<JsonNode>> all = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                all.add(mon.executeAsync(i % 2 == 0 ? "query-status" : "query-version", null, Duration.ofSeconds(10)));
            }
            for (int i = 0; i < all.size(); i++) {
                JsonNode r = all.get(i).get(10, TimeUnit.SECONDS);
                assertTrue(i % 2 == 0 ? r.has("status") : r.has("qemu"), r.toString());
            }
            List<Thread> threads = new ArrayList<>();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            for (int t = 0; t < 4; t++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        for (int i = 0; i < 250; i++) {
                            assertTrue(mon.execute("query-status").has("status"));
                        }
                    } catch (Throwable e) {
                        failed.set(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            if (failed.get() != null) {
                throw new AssertionError(failed.get());
            }
            assertEquals(0, mon.pendingCount());
        }
    }

    @Test
    void eventsArriveOnTheEventWorkerNotTheReader() throws Exception {
        Recorder rec = new Recorder();
        try (TestQemu qemu = TestQemu.start(dir);
             QmpMonitor mon = QmpMonitor.connect(qemu.qmp(), rec, QmpMonitor.Options.defaults(), qemu::isAlive)) {
            mon.execute("stop");
            QmpEvent ev = rec.events.poll(5, TimeUnit.SECONDS);
            assertNotNull(ev, "no STOP event");
            assertEquals("STOP", ev.name());
            mon.execute("cont");
            QmpEvent resume = rec.events.poll(5, TimeUnit.SECONDS);
            assertNotNull(resume);
            assertEquals("RESUME", resume.name());
            synchronized (rec.threads) {
                for (String name : rec.threads) {
                    assertTrue(name.endsWith("-events"), name);
                    assertNotEquals(name, "qmp-qmp.sock-reader");
                }
            }
        }
    }

    @Test
    void passthroughReturnsTheWholeReply() throws Exception {
        try (TestQemu qemu = TestQemu.start(dir);
             QmpMonitor mon = QmpMonitor.connect(qemu.qmp(), QmpListener.ignoring(), QmpMonitor.Options.defaults(), qemu::isAlive)) {
            String reply = mon.passthrough("{\"execute\":\"query-status\"}", Duration.ofSeconds(5));
            JsonNode node = QmpMonitor.json().readTree(reply);
            assertTrue(node.path("return").has("status"), reply);
            assertFalse(node.has("id"), reply);
            String err = mon.passthrough("{\"execute\":\"bogus\",\"id\":\"mine\"}", Duration.ofSeconds(5));
            JsonNode errNode = QmpMonitor.json().readTree(err);
            assertEquals("CommandNotFound", errNode.path("error").path("class").asText(), err);
            assertEquals("mine", errNode.path("id").asText());
            VirtException bad = assertThrows(VirtException.class, () -> mon.passthrough("[1,2]", Duration.ofSeconds(1)));
            assertEquals(ErrorCode.INVALID_ARG, bad.code());
        }
    }

    @Test
    void qemuKilledFailsCallersAndNotifiesWithinASecond() throws Exception {
        Recorder rec = new Recorder();
        try (TestQemu qemu = TestQemu.start(dir)) {
            QmpMonitor mon = QmpMonitor.connect(qemu.qmp(), rec, QmpMonitor.Options.defaults(), qemu::isAlive);
            mon.execute("query-status");
            long t0 = System.nanoTime();
            qemu.kill();
            assertTrue(rec.closed.await(1, TimeUnit.SECONDS), "close not noticed within 1 s");
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1));
            assertNotNull(rec.closeError.get());
            VirtException e = assertThrows(VirtException.class, () -> mon.execute("query-status"));
            assertEquals(ErrorCode.OPERATION_FAILED, e.code());
            assertTrue(e.getMessage().contains("is gone"), e.getMessage());
            assertFalse(mon.isOpen());
        }
    }

    @Test
    void connectGivesUpWhenThePeerDies() throws Exception {
        Path nowhere = dir.resolve("never.sock");
        VirtException t = assertThrows(VirtException.class, () -> QmpMonitor.connect(nowhere, QmpListener.ignoring(),
                QmpMonitor.Options.defaults().withConnectTimeout(Duration.ofMillis(300)), () -> true));
        assertTrue(t.getMessage().contains("did not accept a connection within 300 ms"), t.getMessage());
        long t0 = System.nanoTime();
        VirtException e = assertThrows(VirtException.class, () -> QmpMonitor.connect(nowhere, QmpListener.ignoring(),
                QmpMonitor.Options.defaults(), () -> false));
        assertTrue(e.getMessage().contains("exited"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1));
    }
}

package io.jvirt.driver.qemu.monitor;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.driver.qemu.testutil.FakeQmpPeer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.jvirt.driver.qemu.testutil.FakeQmpPeer.handshake;
import static io.jvirt.driver.qemu.testutil.FakeQmpPeer.reply;
import static io.jvirt.driver.qemu.testutil.FakeQmpPeer.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The QMP client against a misbehaving peer: clear errors, bounded memory, no hang. */
@Timeout(30)
class QmpMonitorFaultTest {
    @TempDir
    Path dir;

    private Path sock() {
        return dir.resolve("fake.sock");
    }

    private static final class CloseLatch implements QmpListener {
        final CountDownLatch closed = new CountDownLatch(1);
        final AtomicReference<Throwable> error = new AtomicReference<>();

        @Override
        public void onEvent(QmpEvent event) {
        }

        @Override
        public void onClosed(Throwable e) {
            error.set(e);
            closed.countDown();
        }
    }

    private QmpMonitor connect(QmpListener l) {
        return QmpMonitor.connect(sock(), l, QmpMonitor.Options.defaults().withConnectTimeout(Duration.ofSeconds(5)), () -> true);
    }

    /** Runs one command that the peer answers with {@code reply}, and returns the failure. */
    private VirtException commandFailsWith(String reply, CloseLatch latch) throws Exception {
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> {
            handshake(in, out);
            in.readLine();
            send(out, reply);
            Thread.sleep(10_000); // keep the connection open: the client must not wait for EOF
        }); QmpMonitor mon = connect(latch)) {
            VirtException e = assertThrows(VirtException.class, () -> mon.execute("query-status"));
            assertTrue(latch.closed.await(2, TimeUnit.SECONDS), "listener not told");
            assertFalse(mon.isOpen());
            return e;
        }
    }

    @Test
    void garbageGreetingFailsConnect() throws Exception {
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> {
            send(out, "hello, I am not QEMU\n");
            Thread.sleep(5000);
        })) {
            VirtException e = assertThrows(VirtException.class, () -> connect(QmpListener.ignoring()));
            assertEquals(ErrorCode.OPERATION_FAILED, e.code());
            assertTrue(e.getMessage().contains("invalid JSON"), e.getMessage());
        }
    }

    @Test
    void nonQmpGreetingFailsConnect() throws Exception {
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> {
            send(out, "{\"hello\": 1}\n");
            Thread.sleep(5000);
        })) {
            VirtException e = assertThrows(VirtException.class, () -> connect(QmpListener.ignoring()));
            assertTrue(e.getMessage().contains("no QMP greeting"), e.getMessage());
        }
    }

    @Test
    void eventsBeforeTheGreetingAreSkipped() throws Exception {
        // QEMU 7.2 can show a client that connects while it starts its first events before the greeting
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> {
            send(out, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}\r\n");
            handshake(in, out);
            Thread.sleep(5000);
        }); QmpMonitor mon = connect(QmpListener.ignoring())) {
            assertTrue(mon.isOpen());
        }
    }

    @Test
    void silentPeerFailsConnectInTime() throws Exception {
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> Thread.sleep(10_000))) {
            long t0 = System.nanoTime();
            VirtException e = assertThrows(VirtException.class, () -> QmpMonitor.connect(sock(), QmpListener.ignoring(),
                    QmpMonitor.Options.defaults().withConnectTimeout(Duration.ofMillis(500)), () -> true));
            assertTrue(e.getMessage().contains("no greeting"), e.getMessage());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3));
        }
    }

    @Test
    void garbageReplyFailsThePendingCommandAndTheMonitor() throws Exception {
        CloseLatch latch = new CloseLatch();
        VirtException e = commandFailsWith("}}}not json{{{\n", latch);
        assertEquals(ErrorCode.OPERATION_FAILED, e.code());
        assertTrue(e.getMessage().contains("invalid JSON"), e.getMessage());
        assertTrue(latch.error.get().getMessage().contains("invalid JSON"));
    }

    @Test
    void truncatedJsonLineIsAnError() throws Exception {
        CloseLatch latch = new CloseLatch();
        VirtException e = commandFailsWith("{\"return\": {\"status\": \"runn\n", latch);
        assertTrue(e.getMessage().contains("invalid JSON"), e.getMessage());
    }

    @Test
    void truncatedMessageAtEndOfStreamIsAnError() throws Exception {
        CloseLatch latch = new CloseLatch();
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> {
            handshake(in, out);
            in.readLine();
            send(out, "{\"return\": {\"sta");
            // the script ends: the connection closes mid-message
        }); QmpMonitor mon = connect(latch)) {
            VirtException e = assertThrows(VirtException.class, () -> mon.execute("query-status"));
            assertTrue(e.getMessage().contains("ended inside a message"), e.getMessage());
        }
    }

    @Test
    void replyWithUnknownIdIsAnError() throws Exception {
        CloseLatch latch = new CloseLatch();
        VirtException e = commandFailsWith("{\"return\": {}, \"id\": \"nobody-asked\"}\n", latch);
        assertTrue(e.getMessage().contains("unknown id \"nobody-asked\""), e.getMessage());
    }

    @Test
    void replyWithoutIdWhileNoneIsDueIsAnError() throws Exception {
        CloseLatch latch = new CloseLatch();
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> {
            handshake(in, out);
            send(out, "{\"return\": {}}\n"); // nothing was asked
            Thread.sleep(10_000);
        }); QmpMonitor mon = connect(latch)) {
            assertTrue(latch.closed.await(2, TimeUnit.SECONDS), "listener not told");
            assertTrue(latch.error.get().getMessage().contains("without an id"), latch.error.get().getMessage());
            VirtException e = assertThrows(VirtException.class, () -> mon.execute("query-status"));
            assertTrue(e.getMessage().contains("without an id"), e.getMessage());
        }
    }

    @Test
    void aLoneCommandGoesWithoutAnIdAndConcurrentOnesGetSmallIds() throws Exception {
        java.util.List<String> lines = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> {
            handshake(in, out);
            String a = in.readLine();
            String b = in.readLine();
            String c = in.readLine();
            lines.addAll(java.util.List.of(a, b, c));
            // answer out of order: ids route the replies, the one without an id goes to its command
            send(out, reply(c, "{\"n\": \"c\"}"));
            send(out, reply(a, "{\"n\": \"a\"}"));
            send(out, reply(b, "{\"n\": \"b\"}"));
            String d = in.readLine();
            lines.add(d);
            send(out, reply(d, "{\"n\": \"d\"}"));
            Thread.sleep(5000);
        }); QmpMonitor mon = connect(QmpListener.ignoring())) {
            CompletableFuture<com.fasterxml.jackson.databind.JsonNode> a = mon.executeAsync("query-a", null, Duration.ofSeconds(5));
            CompletableFuture<com.fasterxml.jackson.databind.JsonNode> b = mon.executeAsync("query-b", null, Duration.ofSeconds(5));
            CompletableFuture<com.fasterxml.jackson.databind.JsonNode> c = mon.executeAsync("query-c", null, Duration.ofSeconds(5));
            assertEquals("a", a.get(5, TimeUnit.SECONDS).path("n").asText());
            assertEquals("b", b.get(5, TimeUnit.SECONDS).path("n").asText());
            assertEquals("c", c.get(5, TimeUnit.SECONDS).path("n").asText());
            assertEquals("d", mon.execute("query-d").path("n").asText());
            assertEquals("{\"execute\":\"query-a\"}", lines.get(0));
            assertEquals("{\"execute\":\"query-b\",\"id\":0}", lines.get(1));
            assertEquals("{\"execute\":\"query-c\",\"id\":1}", lines.get(2));
            assertEquals("{\"execute\":\"query-d\"}", lines.get(3), "the slot is free again once its reply came");
        }
    }

    @Test
    void hundredMegabyteLineIsAnErrorWithBoundedMemory() throws Exception {
        CloseLatch latch = new CloseLatch();
        int limit = 1024 * 1024;
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> {
            handshake(in, out);
            in.readLine();
            byte[] block = new byte[1024 * 1024];
            Arrays.fill(block, (byte) 'x');
            block[0] = '"';
            try {
                for (int i = 0; i < 100; i++) {
                    out.write(block);
                }
            } catch (IOException expected) {
                // the client hung up on us: that is the point
            }
        }); QmpMonitor mon = QmpMonitor.connect(sock(), latch, QmpMonitor.Options.defaults().withMaxMessageBytes(limit), () -> true)) {
            Runtime rt = Runtime.getRuntime();
            long before = rt.totalMemory() - rt.freeMemory();
            VirtException e = assertThrows(VirtException.class, () -> mon.execute("query-status"));
            assertTrue(e.getMessage().contains("longer than " + limit + " bytes"), e.getMessage());
            long after = rt.totalMemory() - rt.freeMemory();
            assertTrue(after - before < 64L * 1024 * 1024, "grew by " + (after - before));
        }
    }

    @Test
    void defaultLimitAlsoStopsAHundredMegabyteLine() throws Exception {
        CloseLatch latch = new CloseLatch();
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> {
            handshake(in, out);
            in.readLine();
            byte[] block = new byte[1024 * 1024];
            Arrays.fill(block, (byte) ' ');
            try {
                for (int i = 0; i < 100; i++) {
                    out.write(block);
                }
            } catch (IOException expected) {
                // hung up on
            }
        }); QmpMonitor mon = connect(latch)) {
            VirtException e = assertThrows(VirtException.class, () -> mon.execute("query-status"));
            assertTrue(e.getMessage().contains("longer than"), e.getMessage());
        }
    }

    @Test
    void eofFailsEveryPendingCommandAtOnce() throws Exception {
        CloseLatch latch = new CloseLatch();
        CountDownLatch got = new CountDownLatch(5);
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> {
            handshake(in, out);
            for (int i = 0; i < 5; i++) {
                in.readLine();
                got.countDown();
            }
            Thread.sleep(200);
            // return: the connection closes with 5 commands unanswered
        }); QmpMonitor mon = connect(latch)) {
            CompletableFuture<?>[] fs = new CompletableFuture<?>[5];
            for (int i = 0; i < 5; i++) {
                fs[i] = mon.executeAsync("query-status", null, Duration.ofSeconds(30));
            }
            assertTrue(got.await(5, TimeUnit.SECONDS));
            long t0 = System.nanoTime();
            for (CompletableFuture<?> f : fs) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(2, TimeUnit.SECONDS));
                assertTrue(e.getCause().getMessage().contains("end of stream"), e.getCause().getMessage());
            }
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1));
            assertTrue(latch.closed.await(1, TimeUnit.SECONDS));
        }
    }

    @Test
    void commandTimesOutAndALateReplyIsIgnored() throws Exception {
        CountDownLatch lateSent = new CountDownLatch(1);
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> {
            handshake(in, out);
            String slow = in.readLine();
            String next = in.readLine(); // the second command, sent after the first timed out
            send(out, reply(slow, "{\"late\": true}"));
            send(out, reply(next, "{\"status\": \"running\"}"));
            lateSent.countDown();
            Thread.sleep(5000);
        }); QmpMonitor mon = connect(QmpListener.ignoring())) {
            long t0 = System.nanoTime();
            VirtException e = assertThrows(VirtException.class,
                    () -> mon.execute("query-status", null, Duration.ofMillis(300)));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(ErrorCode.OPERATION_TIMEOUT, e.code());
            assertTrue(e.getMessage().contains("no reply to 'query-status' within 300 ms"), e.getMessage());
            assertTrue(ms >= 290 && ms < 2000, "took " + ms + " ms");
            assertEquals("running", mon.execute("query-status").path("status").asText());
            assertTrue(lateSent.await(2, TimeUnit.SECONDS));
            assertTrue(mon.isOpen());
        }
    }

    @Test
    void eventsGoToTheListenerInOrder() throws Exception {
        java.util.List<String> names = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        CountDownLatch three = new CountDownLatch(3);
        QmpListener l = new QmpListener() {
            @Override
            public void onEvent(QmpEvent event) {
                names.add(event.name() + ":" + event.data().path("n").asInt());
                three.countDown();
            }

            @Override
            public void onClosed(Throwable error) {
            }
        };
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> {
            handshake(in, out);
            OutputStream o = out;
            for (int i = 1; i <= 3; i++) {
                send(o, "{\"event\": \"E\", \"data\": {\"n\": " + i + "}, \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\n");
            }
            Thread.sleep(5000);
        }); QmpMonitor mon = connect(l)) {
            assertTrue(three.await(5, TimeUnit.SECONDS));
            assertEquals(java.util.List.of("E:1", "E:2", "E:3"), names);
        }
    }

    @Test
    void aSecondGreetingIsRenegotiatedNotFatal() throws Exception {
        try (FakeQmpPeer peer = FakeQmpPeer.start(sock(), (in, out) -> {
            send(out, FakeQmpPeer.GREETING);
            String caps = in.readLine();
            send(out, FakeQmpPeer.GREETING); // QEMU replaying "opened" for an early client
            send(out, reply(caps, "{}"));
            String again = in.readLine();
            if (!again.contains("qmp_capabilities")) {
                throw new AssertionError("expected renegotiation, got " + again);
            }
            send(out, reply(again, "{}"));
            String q = in.readLine();
            send(out, reply(q, "{\"status\": \"running\"}"));
            Thread.sleep(5000);
        }); QmpMonitor mon = connect(QmpListener.ignoring())) {
            assertEquals("running", mon.execute("query-status").path("status").asText());
            assertTrue(mon.isOpen());
        }
    }
}

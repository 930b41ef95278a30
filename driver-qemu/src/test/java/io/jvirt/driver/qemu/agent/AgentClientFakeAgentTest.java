package io.jvirt.driver.qemu.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The agent protocol's failure cases, against fake agents on real unix sockets. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentClientFakeAgentTest {
    private static final Duration SYNC = Duration.ofMillis(400);

    @TempDir
    Path dir;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    private FakeAgent fake(FakeAgent.Behaviour b) throws IOException {
        FakeAgent f = new FakeAgent(dir.resolve("agent.sock"), b);
        toClose.add(f);
        return f;
    }

    private AgentClient client(FakeAgent f) {
        AgentClient c = new AgentClient(f.path, SYNC);
        toClose.add(c);
        return c;
    }

    private static VirtException fails(ErrorCode code, Runnable r) {
        VirtException e = assertThrows(VirtException.class, r::run);
        assertEquals(code, e.code(), e::toString);
        return e;
    }

    @Test
    void syncsBeforeEveryCommandAndReturnsTheReply() throws Exception {
        FakeAgent f = fake(FakeAgent.answering("{\"return\": {}}"));
        AgentClient c = client(f);
        assertEquals("{\"return\":{}}", c.passthrough("{\"execute\":\"guest-ping\"}", AgentTimeout.DEFAULT));
        new GuestAgent(c).ping();
        assertEquals(4, f.received.size(), f.received::toString);
        assertTrue(FakeAgent.syncId(f.received.get(0)) > 0);
        assertEquals("{\"execute\":\"guest-ping\"}", f.received.get(1));
        assertTrue(FakeAgent.syncId(f.received.get(2)) > 0);
        assertTrue(FakeAgent.syncId(f.received.get(0)) != FakeAgent.syncId(f.received.get(2)), "sync ids are random");
        assertEquals(1, f.connections.get(), "one connection for both commands");
    }

    @Test
    void silentAgentIsUnresponsiveAfterTheTimeout() throws Exception {
        FakeAgent f = fake((line, out, agent) -> { });
        AgentClient c = client(f);
        long t0 = System.nanoTime();
        VirtException e = fails(ErrorCode.AGENT_UNRESPONSIVE, () -> new GuestAgent(c).ping());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms >= SYNC.toMillis() - 50 && ms < SYNC.toMillis() + 3000, "took " + ms + " ms");
        assertTrue(e.getMessage().contains("not responding"), e.getMessage());
    }

    @Test
    void agentThatSyncsButNeverAnswersTheCommandTimesOut() throws Exception {
        FakeAgent f = fake((line, out, agent) -> {
            long id = FakeAgent.syncId(line);
            if (id >= 0) {
                out.write(0xFF);
                FakeAgent.write(out, "{\"return\": " + id + "}\n");
            }
        });
        AgentClient c = client(f);
        long t0 = System.nanoTime();
        VirtException e = fails(ErrorCode.AGENT_UNRESPONSIVE,
                () -> c.execute("guest-ping", null, AgentTimeout.of(Duration.ofMillis(300))));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms >= 250 && ms < 3000, "took " + ms + " ms");
        assertTrue(e.getMessage().contains("guest-ping"), e.getMessage());
    }

    @Test
    void staleDataAndStaleSyncIdsAreDiscarded() throws Exception {
        FakeAgent f = fake((line, out, agent) -> {
            long id = FakeAgent.syncId(line);
            if (id >= 0) {
                // left-overs of an earlier client: a reply without sentinel, a half line, and a
                // sentinel-delimited reply to somebody else's sync
                FakeAgent.write(out, "{\"return\": {\"stale\": true}}\n{\"return\": 12");
                out.write(0xFF);
                FakeAgent.write(out, "{\"return\": " + (id + 1) + "}\n");
                out.write(0xFF);
                FakeAgent.write(out, "{\"return\": " + id + "}\n");
            } else {
                FakeAgent.write(out, "{\"return\": \"tiny\"}\n");
            }
        });
        AgentClient c = client(f);
        assertEquals("\"tiny\"", c.execute("guest-whatever", null, AgentTimeout.DEFAULT).toString());
    }

    @Test
    void lateReplyOfATimedOutCommandIsNotTakenForTheNextOne() throws Exception {
        FakeAgent f = fake((line, out, agent) -> {
            long id = FakeAgent.syncId(line);
            if (id >= 0) {
                out.write(0xFF);
                FakeAgent.write(out, "{\"return\": " + id + "}\n");
            } else if (line.contains("slow")) {
                try {
                    Thread.sleep(600);
                } catch (InterruptedException e) {
                    return;
                }
                FakeAgent.write(out, "{\"return\": \"slow\"}\n");
            } else {
                FakeAgent.write(out, "{\"return\": \"fast\"}\n");
            }
        });
        AgentClient c = new AgentClient(f.path, Duration.ofSeconds(5)); // the fake answers the next sync late
        toClose.add(c);
        fails(ErrorCode.AGENT_UNRESPONSIVE, () -> c.execute("slow", null, AgentTimeout.of(Duration.ofMillis(200))));
        assertEquals("\"fast\"", c.execute("fast", null, AgentTimeout.DEFAULT).toString());
    }

    @Test
    void garbageAfterTheSentinelIsAClearErrorAndResetsTheConnection() throws Exception {
        FakeAgent f = fake((line, out, agent) -> {
            if (FakeAgent.syncId(line) >= 0) {
                out.write(0xFF);
                FakeAgent.write(out, "this is not json }{\n");
            }
        });
        AgentClient c = client(f);
        long t0 = System.nanoTime();
        VirtException e = fails(ErrorCode.OPERATION_FAILED, () -> new GuestAgent(c).ping());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 2000, "no waiting for garbage");
        assertTrue(e.getMessage().contains("unparseable") && e.getMessage().contains("this is not json"),
                e.getMessage());
        f.behaviour(FakeAgent.answering("{\"return\": {}}"));
        new GuestAgent(c).ping();
        assertEquals(2, f.connections.get(), "the client reconnected after the reset");
    }

    @Test
    void garbageCommandReplyIsAClearError() throws Exception {
        FakeAgent f = fake(FakeAgent.answering("\u0001\u0002 garbage"));
        AgentClient c = client(f);
        VirtException e = fails(ErrorCode.OPERATION_FAILED, () -> new GuestAgent(c).hostname());
        assertTrue(e.getMessage().contains("guest-get-host-name") && e.getMessage().contains("reset"), e.getMessage());
    }

    @Test
    void hugeReplyIsCutAndRejectedNotBuffered() throws Exception {
        FakeAgent f = fake((line, out, agent) -> {
            long id = FakeAgent.syncId(line);
            if (id >= 0) {
                out.write(0xFF);
                FakeAgent.write(out, "{\"return\": " + id + "}\n");
            } else {
                byte[] chunk = "x".repeat(1 << 20).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                FakeAgent.write(out, "{\"return\": \"");
                for (int i = 0; i < 40; i++) {
                    out.write(chunk);
                }
                FakeAgent.write(out, "\"}\n");
            }
        });
        AgentClient c = client(f);
        VirtException e = fails(ErrorCode.OPERATION_FAILED,
                () -> c.execute("guest-huge", null, AgentTimeout.of(Duration.ofSeconds(20))));
        assertTrue(e.getMessage().contains("unparseable"), e.getMessage().substring(0, 100));
        assertTrue(e.getMessage().length() < 1000, "the message quotes only the start of the reply");
    }

    @Test
    void rawSyncDelimitedPassthroughGetsItsReply() throws Exception {
        FakeAgent f = fake(FakeAgent.answering("unused"));
        AgentClient c = client(f);
        assertEquals("{\"return\":42}", c.passthrough(
                "{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":42}}", AgentTimeout.DEFAULT));
    }

    @Test
    void endlessGarbageWithoutSentinelDoesNotHang() throws Exception {
        FakeAgent f = fake((line, out, agent) -> {
            for (int i = 0; i < 1000; i++) {
                FakeAgent.write(out, "garbage garbage garbage\n");
            }
        });
        AgentClient c = client(f);
        fails(ErrorCode.AGENT_UNRESPONSIVE, () -> new GuestAgent(c).ping());
    }

    @Test
    void errorReplyCarriesTheAgentsClassAndDescription() throws Exception {
        FakeAgent f = fake(FakeAgent.answering(
                "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command guest-nope has not been found\"}}"));
        AgentClient c = client(f);
        AgentCommandException e = assertThrows(AgentCommandException.class,
                () -> c.passthrough("{\"execute\":\"guest-nope\"}", AgentTimeout.DEFAULT));
        assertEquals(ErrorCode.OPERATION_FAILED, e.code());
        assertEquals("CommandNotFound", e.errorClass());
        assertTrue(e.getMessage().contains("guest-nope has not been found"), e.getMessage());
        // guestinfo leaves out parts the agent lacks
        assertEquals(0, new GuestAgent(c).guestInfo().size());
    }

    @Test
    void noWaitSendsWithoutWaiting() throws Exception {
        FakeAgent f = fake(FakeAgent.answering("{\"return\": {}}"));
        AgentClient c = client(f);
        assertNull(c.passthrough("{\"execute\":\"guest-ping\"}", AgentTimeout.NOWAIT));
        // the unread reply does not confuse the next command
        assertEquals("{\"return\":{}}", c.passthrough("{\"execute\":\"guest-ping\"}", AgentTimeout.DEFAULT));
    }

    @Test
    void closedPortFailsAtOnceAndAWaitingCommandIsReleased() throws Exception {
        FakeAgent f = fake((line, out, agent) -> {
            long id = FakeAgent.syncId(line);
            if (id >= 0) {
                out.write(0xFF);
                FakeAgent.write(out, "{\"return\": " + id + "}\n");
            }
        });
        AgentClient c = client(f);
        List<String> states = new ArrayList<>();
        c.addListener((connected, reason) -> states.add(connected + " " + reason));
        c.onPortOpened();
        CompletableFuture<Throwable> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                c.execute("guest-ping", null, AgentTimeout.of(Duration.ofSeconds(30)));
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        while (f.received.size() < 2) {
            Thread.sleep(10);
        }
        long t0 = System.nanoTime();
        c.onPortClosed();
        Throwable t = waiting.get(5, TimeUnit.SECONDS);
        assertTrue(t instanceof VirtException v && v.code() == ErrorCode.AGENT_UNRESPONSIVE, String.valueOf(t));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 2000);
        assertEquals(AgentClient.PortState.CLOSED, c.portState());
        fails(ErrorCode.AGENT_UNRESPONSIVE, () -> new GuestAgent(c).ping());
        c.onPortOpened();
        f.behaviour(FakeAgent.answering("{\"return\": {}}"));
        new GuestAgent(c).ping();
        assertEquals(List.of("true port opened", "false port closed", "true port opened"), states);
    }

    @Test
    void qemuClosingTheSocketFailsTheWaitingCommand() throws Exception {
        FakeAgent f = fake((line, out, agent) -> {
            if (FakeAgent.syncId(line) >= 0) {
                out.write(0xFF);
                FakeAgent.write(out, "{\"return\": " + FakeAgent.syncId(line) + "}\n");
            } else {
                agent.dropClients();
            }
        });
        AgentClient c = client(f);
        VirtException e = fails(ErrorCode.AGENT_UNRESPONSIVE, () -> new GuestAgent(c).ping());
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void shutdownSucceedsWhenTheAgentGoesAwayAndFailsOnAnError() throws Exception {
        FakeAgent f = fake((line, out, agent) -> {
            if (FakeAgent.syncId(line) >= 0) {
                out.write(0xFF);
                FakeAgent.write(out, "{\"return\": " + FakeAgent.syncId(line) + "}\n");
            } else if (line.contains("\"reboot\"")) {
                FakeAgent.write(out, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"child process has failed to shutdown\"}}\n");
            } else {
                agent.dropClients();
            }
        });
        AgentClient c = client(f);
        GuestAgent ga = new GuestAgent(c);
        AgentCommandException e = assertThrows(AgentCommandException.class,
                () -> ga.shutdown(GuestShutdownMode.REBOOT));
        assertTrue(e.getMessage().contains("failed to shutdown"), e.getMessage());
        ga.shutdown(GuestShutdownMode.POWERDOWN, AgentTimeout.of(Duration.ofSeconds(5)));
        assertTrue(f.received.stream().anyMatch(l -> l.contains("\"mode\":\"powerdown\"")), f.received::toString);
    }

    @Test
    void shutdownCompletesOnTheGuestShutdownEvent() throws Exception {
        FakeAgent f = fake((line, out, agent) -> {
            if (FakeAgent.syncId(line) >= 0) {
                out.write(0xFF);
                FakeAgent.write(out, "{\"return\": " + FakeAgent.syncId(line) + "}\n");
            }
        });
        AgentClient c = client(f);
        CompletableFuture<Void> done = CompletableFuture.runAsync(
                () -> new GuestAgent(c).shutdown(GuestShutdownMode.REBOOT));
        while (f.received.size() < 2) {
            Thread.sleep(10);
        }
        c.onGuestShutdown(true);
        done.get(5, TimeUnit.SECONDS);
    }

    @Test
    void badInputIsRejectedBeforeAnythingIsSent() throws Exception {
        FakeAgent f = fake(FakeAgent.answering("{\"return\": {}}"));
        AgentClient c = client(f);
        fails(ErrorCode.INVALID_ARG, () -> c.passthrough("{not json", AgentTimeout.DEFAULT));
        fails(ErrorCode.INVALID_ARG, () -> c.passthrough("[1,2]", AgentTimeout.DEFAULT));
        fails(ErrorCode.INVALID_ARG, () -> c.passthrough("{\"arguments\":{}}", AgentTimeout.DEFAULT));
        assertEquals(0, f.received.size());
    }

    @Test
    void missingSocketIsUnresponsive() {
        AgentClient c = new AgentClient(dir.resolve("nobody-here.sock"), SYNC);
        toClose.add(c);
        VirtException e = fails(ErrorCode.AGENT_UNRESPONSIVE, () -> new GuestAgent(c).ping());
        assertTrue(e.getMessage().contains("nobody-here.sock"), e.getMessage());
    }

    @Test
    void timeoutsFollowLibvirtsValues() {
        assertEquals(AgentTimeout.BLOCK, AgentTimeout.ofLibvirtSeconds(-2));
        assertEquals(AgentTimeout.DEFAULT, AgentTimeout.ofLibvirtSeconds(-1));
        assertEquals(AgentTimeout.NOWAIT, AgentTimeout.ofLibvirtSeconds(0));
        assertEquals(Duration.ofSeconds(7), AgentTimeout.ofLibvirtSeconds(7).duration());
        fails(ErrorCode.INVALID_ARG, () -> AgentTimeout.ofLibvirtSeconds(-3));
        assertEquals(Duration.ofSeconds(5), AgentTimeout.DEFAULT.duration());
        assertEquals(Duration.ofSeconds(60), AgentTimeout.SHUTDOWN.duration());
        assertEquals(AgentTimeout.BLOCK_LIMIT, AgentTimeout.BLOCK.duration());
        assertTrue(AgentTimeout.ofApi(Duration.ofDays(365)).duration().compareTo(AgentTimeout.BLOCK_LIMIT) <= 0);
        assertEquals(AgentTimeout.DEFAULT, AgentTimeout.ofApi(null));
        assertEquals(AgentTimeout.BLOCK, AgentTimeout.ofApi(Duration.ofSeconds(-1)));
        assertTrue(AgentTimeout.ofApi(Duration.ZERO).noWait());
    }
}

package io.jvirt.tck.agent;

import io.jvirt.api.Domain;
import io.jvirt.api.DomainEvent;
import io.jvirt.api.DomainState;
import io.jvirt.api.DomainStatus;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Events;
import io.jvirt.api.Feature;
import io.jvirt.api.InterfaceAddresses;
import io.jvirt.api.ShutdownMode;
import io.jvirt.api.StateReason;
import io.jvirt.api.VirtException;
import io.jvirt.tck.TckBase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The guest agent, for drivers that claim {@link Feature#AGENT} (a driver that does not is covered
 * by {@link io.jvirt.tck.FeatureSuite}: every agent call answers {@code NO_SUPPORT}). The agent
 * speaks qemu-ga's protocol: {@code agentCommand} passes raw qemu-ga JSON.
 *
 * <p>The key rule (docs/design.md, "Guest agent"): agent calls take an agent job, never a normal
 * job, so while a silent agent makes a caller wait out its timeout, suspend, resume, info and
 * destroy all complete promptly; the agent call then fails with {@code AGENT_UNRESPONSIVE}.
 *
 * <p>A driver's test class says how to get a domain whose agent is connected but never answers
 * ({@link #startWithSilentAgent(String)}) and how long a fresh guest takes until its agent answers
 * ({@link #agentReadyTimeout()}).
 */
public abstract class AgentSuite extends TckBase {
    /** The longest any call other than the agent call under test may take while an agent is silent. */
    protected static final Duration PROMPT = Duration.ofSeconds(1);
    /** The timeout the suite gives raw commands to a silent agent. */
    protected static final Duration SILENT_TIMEOUT = Duration.ofSeconds(2);
    private static final String PING = "{\"execute\":\"guest-ping\"}";

    /**
     * Starts a domain named {@code name} (made with {@link #domainXml(String)} or like it) on
     * {@link #conn} whose guest agent is connected but never answers (a stopped agent process, a
     * fake channel that reads and stays silent, or a driver's test control).
     */
    protected abstract Domain startWithSilentAgent(String name);

    /** How long a freshly started guest may take until its agent answers. */
    protected Duration agentReadyTimeout() {
        return Duration.ofSeconds(60);
    }

    @BeforeEach
    final void requireAgentFeature() {
        if (!claims(Feature.AGENT)) {
            fail("AgentSuite runs only against drivers that claim Feature.AGENT; FeatureSuite checks "
                    + "that the others answer NO_SUPPORT");
        }
    }

    // ---- helpers ----

    /** Creates a transient domain and waits until its agent answers guest-ping. */
    protected final Domain startWithAgent(String name) {
        return awaitAgent(conn.createDomain(domainXml(name)));
    }

    /** A persistent domain, started, when the driver can define; else a transient one. */
    private Domain startDefinedWithAgent(String name) {
        if (!claims(Feature.PERSISTENT)) {
            return startWithAgent(name);
        }
        Domain d = conn.defineDomain(domainXml(name));
        d.start();
        return awaitAgent(d);
    }

    /** Waits until {@code dom}'s agent answers guest-ping, within {@link #agentReadyTimeout()}. */
    protected final Domain awaitAgent(Domain dom) {
        long deadline = System.nanoTime() + agentReadyTimeout().toNanos();
        VirtException last = null;
        while (System.nanoTime() < deadline) {
            try {
                dom.agentCommand(PING, Duration.ofSeconds(2));
                return dom;
            } catch (VirtException e) {
                if (e.code() != ErrorCode.AGENT_UNRESPONSIVE) {
                    throw e;
                }
                last = e;
            }
            pause(Duration.ofMillis(200));
        }
        throw new AssertionError("the guest agent of " + dom.name() + " did not answer within "
                + agentReadyTimeout().toSeconds() + " s: " + (last == null ? "" : last.getMessage()), last);
    }

    private static String compact(String json) {
        return json.replaceAll("\\s+", "");
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Runs {@code call}, asserting it returns within {@link #PROMPT}. */
    private static void prompt(String what, Executable call) throws Throwable {
        long t0 = System.nanoTime();
        call.execute();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertTrue(took.compareTo(PROMPT) < 0, what + " took " + took.toMillis()
                + " ms while an agent call waited on a silent agent: agent calls must not block it");
    }

    /** The failure of {@code f} (which must fail), within {@code limit}. */
    private static VirtException failure(CompletableFuture<?> f, Duration limit) throws Exception {
        try {
            Object v = f.get(limit.toMillis(), TimeUnit.MILLISECONDS);
            throw new AssertionError("the agent call on a silent agent succeeded with " + v);
        } catch (TimeoutException e) {
            throw new AssertionError("the agent call on a silent agent did not end within " + limit.toSeconds()
                    + " s: its timeout is not honoured", e);
        } catch (ExecutionException e) {
            return assertInstanceOf(VirtException.class, e.getCause(), "the agent call failed with "
                    + e.getCause());
        }
    }

    // ---- the agent answers ----

    @Test
    public void pingReturnsAnEmptyObject() {
        Domain d = startWithAgent(name("agent-ping"));
        assertEquals("{\"return\":{}}", compact(d.agentCommand(PING, Duration.ofSeconds(5))));
        assertEquals("{\"return\":{}}", compact(d.agentCommand(PING, null)), "a null timeout is the default");
    }

    @Test
    public void malformedCommandIsRefusedClearly() {
        Domain d = startWithAgent(name("agent-bad"));
        VirtException e = assertFails(ErrorCode.INVALID_ARG, () -> d.agentCommand("{\"execute\":", null));
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("json"), e.getMessage());
        VirtException unknown = assertFails(ErrorCode.OPERATION_FAILED,
                () -> d.agentCommand("{\"execute\":\"guest-no-such-command\"}", null));
        assertTrue(unknown.getMessage().contains("guest-no-such-command"), unknown.getMessage());
        assertEquals("{\"return\":{}}", compact(d.agentCommand(PING, null)), "the agent still answers");
    }

    @Test
    public void timeRoundTrip() {
        Domain d = startWithAgent(name("agent-time"));
        Instant guest = d.time();
        assertNotNull(guest);
        Instant target = Instant.now().plus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        d.setTime(target);
        Instant read = d.time();
        assertTrue(Duration.between(target, read).abs().compareTo(Duration.ofSeconds(10)) < 0,
                "set the guest clock to " + target + " but read back " + read);
        Instant now = Instant.now();
        d.setTime(now);
        Instant back = d.time();
        assertTrue(Duration.between(now, back).abs().compareTo(Duration.ofSeconds(10)) < 0,
                "set the guest clock to " + now + " but read back " + back);
    }

    @Test
    public void fsFreezeThenThawCounts() {
        Domain d = startWithAgent(name("agent-freeze"));
        int frozen = d.fsFreeze(List.of());
        assertTrue(frozen >= 0, "fsFreeze returned " + frozen);
        int thawed = d.fsThaw(List.of());
        assertEquals(frozen, thawed, "fsThaw must thaw what fsFreeze froze");
        assertEquals(0, d.fsThaw(List.of()), "thawing a thawed guest thaws nothing");
        assertEquals("{\"return\":{}}", compact(d.agentCommand(PING, null)), "the agent answers after a thaw");
    }

    @Test
    public void interfaceAddressesFromTheAgent() {
        Domain d = startWithAgent(name("agent-ifaddr"));
        List<InterfaceAddresses> ifaces = d.interfaceAddresses(InterfaceAddresses.Source.AGENT);
        assertFalse(ifaces.isEmpty(), "the agent reports no interfaces");
        for (InterfaceAddresses i : ifaces) {
            assertFalse(i.name() == null || i.name().isBlank(), "an interface without a name: " + i);
        }
        assertTrue(ifaces.stream().anyMatch(i -> !i.addresses().isEmpty()), "no interface has an address: " + ifaces);
    }

    @Test
    public void guestInfoHasOsAndHostname() {
        Domain d = startWithAgent(name("agent-info"));
        Map<String, String> info = d.guestInfo();
        assertTrue(info.containsKey("os.id"), "guestInfo lacks os.id: " + info);
        assertTrue(info.containsKey("hostname"), "guestInfo lacks hostname: " + info);
        assertFalse(info.get("hostname").isBlank(), "blank hostname: " + info);
    }

    @Test
    public void agentLifecycleEventsOnStartAndStop() throws Exception {
        UUID uuid = UUID.randomUUID();
        BlockingQueue<DomainEvent.AgentLifecycleEvent> got = new LinkedBlockingQueue<>();
        try (Events.Subscription s = conn.events().subscribe(uuid, e -> {
            if (e instanceof DomainEvent.AgentLifecycleEvent a) {
                got.add(a);
            }
        })) {
            Domain d = awaitAgent(conn.createDomain(domainXml(name("agent-events"), uuid)));
            DomainEvent.AgentLifecycleEvent up = got.poll(agentReadyTimeout().toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(up, "no agent-lifecycle event after the agent connected");
            assertTrue(up.connected(), "the first agent event must say connected: " + up);
            d.destroy();
            DomainEvent.AgentLifecycleEvent down = got.poll(10, TimeUnit.SECONDS);
            assertNotNull(down, "no agent-lifecycle event after destroy");
            assertFalse(down.connected(), "after destroy the agent event must say disconnected: " + down);
        }
    }

    // ---- inactive domains ----

    @Test
    public void agentCallsOnAnInactiveDomainAreInvalid() {
        Domain d;
        ErrorCode expected;
        if (claims(Feature.PERSISTENT)) {
            d = conn.defineDomain(domainXml(name("agent-off")));
            expected = ErrorCode.OPERATION_INVALID;
        } else {
            d = conn.createDomain(domainXml(name("agent-off")));
            d.destroy();
            expected = ErrorCode.NO_DOMAIN;
        }
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("agentCommand", () -> d.agentCommand(PING, Duration.ofSeconds(5)));
        calls.put("time", d::time);
        calls.put("setTime", () -> d.setTime(Instant.now()));
        calls.put("fsFreeze", () -> d.fsFreeze(List.of()));
        calls.put("fsThaw", () -> d.fsThaw(List.of()));
        calls.put("interfaceAddresses", () -> d.interfaceAddresses(InterfaceAddresses.Source.AGENT));
        calls.put("guestInfo", d::guestInfo);
        calls.put("setUserPassword", () -> d.setUserPassword("root", "secret", false));
        calls.put("shutdown(AGENT)", () -> d.shutdown(ShutdownMode.AGENT));
        for (var c : calls.entrySet()) {
            long t0 = System.nanoTime();
            VirtException e = assertFails(expected, c.getValue());
            if (expected == ErrorCode.OPERATION_INVALID) {
                assertTrue(e.getMessage().contains("not running"), c.getKey() + ": " + e.getMessage());
            }
            assertTrue(System.nanoTime() - t0 < PROMPT.toNanos(), c.getKey() + " on an inactive domain must fail at once");
        }
    }

    // ---- shutdown and reboot through the agent ----

    @Test
    public void shutdownThroughTheAgent() {
        Domain d = startDefinedWithAgent(name("agent-shutdown"));
        d.shutdown(ShutdownMode.AGENT);
        awaitShutOff(d, Duration.ofSeconds(10));
    }

    @Test
    public void rebootThroughTheAgentKeepsTheDomain() {
        Domain d = startDefinedWithAgent(name("agent-reboot"));
        d.reboot(ShutdownMode.AGENT);
        assertTrue(d.isActive(), "after an agent reboot the domain runs");
        awaitAgent(d);
        assertEquals(DomainState.RUNNING, d.state().state());
    }

    private void awaitShutOff(Domain d, Duration limit) {
        String what = d.name() + " to shut off with reason shutdown";
        await(what, limit, () -> {
            try {
                return !d.isActive();
            } catch (VirtException e) {
                return e.code() == ErrorCode.NO_DOMAIN; // a transient domain is gone once it stops
            }
        });
        if (claims(Feature.PERSISTENT)) {
            DomainStatus s = d.state();
            assertEquals(DomainState.SHUTOFF, s.state());
            assertEquals(StateReason.SHUTDOWN, s.reason(), "reason of " + s);
        }
    }

    // ---- the key rule: a silent agent blocks nothing but agent calls ----

    @Test
    public void silentAgentTimesOutAndBlocksNothingElse() throws Throwable {
        Domain d = startWithSilentAgent(name("agent-silent"));
        assertTrue(d.isActive(), "startWithSilentAgent must return a running domain");

        long t0 = System.nanoTime();
        CompletableFuture<String> call = CompletableFuture.supplyAsync(
                () -> d.agentCommand(PING, SILENT_TIMEOUT), r -> Thread.ofVirtual().start(r));
        pause(Duration.ofMillis(300)); // the call is now waiting on the agent
        assertFalse(call.isDone(), "a call to a silent agent returned at once: " + (call.isDone() ? call.join() : ""));
        if (claims(Feature.SUSPEND)) {
            prompt("suspend", d::suspend);
        }
        prompt("info", d::info);
        if (claims(Feature.SUSPEND)) {
            prompt("resume", d::resume);
        }
        prompt("state", d::state);
        VirtException e = failure(call, SILENT_TIMEOUT.plusSeconds(10));
        long took = System.nanoTime() - t0;
        assertEquals(ErrorCode.AGENT_UNRESPONSIVE, e.code(), e.getMessage());
        assertTrue(took >= SILENT_TIMEOUT.minusMillis(200).toNanos(), "the agent call gave up after "
                + took / 1_000_000 + " ms, before its " + SILENT_TIMEOUT.toMillis() + " ms timeout");
        assertTrue(d.isActive(), "a silent agent leaves the domain running");

        // a typed call waits the default timeout and fails the same way
        t0 = System.nanoTime();
        assertFails(ErrorCode.AGENT_UNRESPONSIVE, d::guestInfo);
        took = System.nanoTime() - t0;
        assertTrue(took < Duration.ofSeconds(30).toNanos(), "guestInfo on a silent agent took " + took / 1_000_000 + " ms");

        // destroy gets through while an agent call waits, and the call ends
        CompletableFuture<String> again = CompletableFuture.supplyAsync(
                () -> d.agentCommand(PING, Duration.ofSeconds(20)), r -> Thread.ofVirtual().start(r));
        pause(Duration.ofMillis(300));
        assertFalse(again.isDone(), "a call to a silent agent returned at once");
        prompt("destroy", d::destroy);
        VirtException end = failure(again, Duration.ofSeconds(10));
        assertTrue(end.code() == ErrorCode.AGENT_UNRESPONSIVE || end.code() == ErrorCode.OPERATION_INVALID
                        || end.code() == ErrorCode.NO_DOMAIN,
                "an agent call cut short by destroy fails with AGENT_UNRESPONSIVE, OPERATION_INVALID or NO_DOMAIN, not "
                        + end.code() + ": " + end.getMessage());
    }

    @Test
    public void silentAgentRefusesAQueuedSecondCallWithinItsTimeout() throws Throwable {
        Domain d = startWithSilentAgent(name("agent-silent2"));
        CompletableFuture<String> first = CompletableFuture.supplyAsync(
                () -> d.agentCommand(PING, SILENT_TIMEOUT), r -> Thread.ofVirtual().start(r));
        CompletableFuture<String> second = CompletableFuture.supplyAsync(
                () -> d.agentCommand(PING, SILENT_TIMEOUT), r -> Thread.ofVirtual().start(r));
        assertEquals(ErrorCode.AGENT_UNRESPONSIVE, failure(first, SILENT_TIMEOUT.plusSeconds(35)).code());
        VirtException e2 = failure(second, SILENT_TIMEOUT.plusSeconds(35));
        assertTrue(e2.code() == ErrorCode.AGENT_UNRESPONSIVE || e2.code() == ErrorCode.OPERATION_TIMEOUT,
                "a second call behind a silent one fails with AGENT_UNRESPONSIVE or OPERATION_TIMEOUT, not "
                        + e2.code() + ": " + e2.getMessage());
        prompt("info", d::info);
    }
}

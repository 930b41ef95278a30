package io.jvirt.driver.test.agent;

import io.jvirt.api.DomainEvent;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.InterfaceAddresses;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.Device;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DomainObjList;
import io.jvirt.spi.event.EventSink;
import io.jvirt.spi.job.AgentJob;
import io.jvirt.spi.job.AgentJobKind;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The guest agents of one test host: one {@link FakeGuestAgent} per running domain, the agent
 * calls of the driver, and the {@link TestDriverControl} over them.
 *
 * <p>Every agent call takes the domain's agent job ({@code DomainJobs.beginAgent}), never a normal
 * job, and talks to the agent with the domain lock dropped ({@link AgentJob#agent}), so a silent
 * agent holds up only other agent calls of its domain. Calls on an inactive or paused domain fail
 * with {@code OPERATION_INVALID}.
 *
 * <p>The driver reports its domains' life: {@link #started}, {@link #reset}, {@link #stopped}
 * (domain lock held); these emit agent-lifecycle events.
 */
public final class TestAgents implements TestDriverControl {
    /** What the driver does when a guest powers itself off or reboots after guest-shutdown. */
    @FunctionalInterface
    public interface PowerSwitch {
        /**
         * Stops (reason shutdown) or resets {@code dom}, taking a normal job; called on its own
         * thread. Does nothing if {@code agent} is no longer the domain's agent.
         */
        void guestPowerOff(DomainObj dom, FakeGuestAgent agent, boolean reboot);
    }

    private final AgentMode defaultMode;
    private final EventSink events;
    private final DomainObjList domains;
    private final PowerSwitch power;
    private final Map<String, AgentMode> modes = new ConcurrentHashMap<>();
    private final Map<DomainObj, FakeGuestAgent> running = new ConcurrentHashMap<>();

    /**
     * @param defaultMode how agents behave unless set per domain
     * @param events      where agent-lifecycle events go
     * @param domains     the host's domains (to find one by name)
     * @param power       how a guest powers off
     */
    public TestAgents(AgentMode defaultMode, EventSink events, DomainObjList domains, PowerSwitch power) {
        this.defaultMode = Objects.requireNonNull(defaultMode, "defaultMode");
        this.events = Objects.requireNonNull(events, "events");
        this.domains = Objects.requireNonNull(domains, "domains");
        this.power = Objects.requireNonNull(power, "power");
    }

    // ---- the domains' life (domain lock held) ----

    /**
     * {@code d} booted: its agent starts (connected unless {@link AgentMode#NONE}).
     *
     * @param quiet no event (the host's initial domains ran before anyone connected)
     */
    public void started(DomainObj d, boolean quiet) {
        FakeGuestAgent agent = newAgent(d);
        FakeGuestAgent old = running.put(d, agent);
        if (old != null) {
            old.disconnect();
        }
        if (!quiet && agent.isConnected()) {
            emit(d, true);
        }
    }

    /** {@code d}'s guest reset: the agent's channel closes and a fresh agent connects. */
    public void reset(DomainObj d) {
        stopped(d);
        started(d, false);
    }

    /** {@code d} stopped: its agent disconnects; waiting calls fail with {@code AGENT_UNRESPONSIVE}. */
    public void stopped(DomainObj d) {
        FakeGuestAgent agent = running.remove(d);
        if (agent != null) {
            boolean was = agent.isConnected();
            agent.disconnect();
            if (was) {
                emit(d, false);
            }
        }
    }

    /** Whether {@code agent} is {@code d}'s current agent. */
    public boolean isCurrent(DomainObj d, FakeGuestAgent agent) {
        return running.get(d) == agent;
    }

    // ---- control ----

    @Override
    public void setAgentMode(String domainName, AgentMode mode) {
        Objects.requireNonNull(domainName, "domainName");
        Objects.requireNonNull(mode, "mode");
        modes.put(domainName, mode);
        DomainObj d;
        try {
            d = domains.byName(domainName);
        } catch (VirtException e) {
            return; // not defined yet: applies when it starts
        }
        try (var l = d.locked()) {
            FakeGuestAgent agent = running.get(d);
            if (agent != null) {
                boolean was = agent.isConnected();
                agent.setMode(mode);
                boolean now = agent.isConnected();
                if (was != now) {
                    emit(d, now);
                }
            }
        }
    }

    @Override
    public AgentMode agentMode(String domainName) {
        return modes.getOrDefault(Objects.requireNonNull(domainName, "domainName"), defaultMode);
    }

    // ---- the driver's agent calls ----

    /** A raw command; see {@link FakeGuestAgent#execute}. */
    public String agentCommand(DomainObj dom, String json, Duration timeout) {
        Duration wait = FakeGuestAgent.effectiveTimeout(timeout);
        return completed(dom, "agentCommand", a -> a.execute(json, wait));
    }

    /** The guest's clock. */
    public Instant time(DomainObj dom) {
        return withAgent(dom, AgentJobKind.QUERY, "time", FakeGuestAgent::time);
    }

    /** Sets (or with null resyncs) the guest's clock. */
    public void setTime(DomainObj dom, Instant time) {
        withAgent(dom, AgentJobKind.MODIFY, "setTime", a -> {
            a.setTime(time);
            return null;
        });
    }

    /** Freezes file systems. */
    public int fsFreeze(DomainObj dom, List<String> mountpoints) {
        List<String> mounts = List.copyOf(mountpoints);
        return withAgent(dom, AgentJobKind.MODIFY, "fsFreeze", a -> a.freeze(mounts));
    }

    /** Thaws file systems. */
    public int fsThaw(DomainObj dom, List<String> mountpoints) {
        List<String> mounts = List.copyOf(mountpoints);
        return withAgent(dom, AgentJobKind.MODIFY, "fsThaw", a -> a.thaw(mounts));
    }

    /** Interfaces from the agent; other sources are {@code NO_SUPPORT}. */
    public List<InterfaceAddresses> interfaceAddresses(DomainObj dom, InterfaceAddresses.Source source) {
        if (source != InterfaceAddresses.Source.AGENT) {
            throw VirtException.noSupport("interface addresses from source '"
                    + String.valueOf(source).toLowerCase(Locale.ROOT) + "' (the test driver knows only 'agent')");
        }
        return withAgent(dom, AgentJobKind.QUERY, "interfaceAddresses", FakeGuestAgent::interfaces);
    }

    /** Facts from the guest. */
    public Map<String, String> guestInfo(DomainObj dom) {
        return withAgent(dom, AgentJobKind.QUERY, "guestInfo", FakeGuestAgent::guestInfo);
    }

    /** Sets a guest user's password. */
    public void setUserPassword(DomainObj dom, String user, String password, boolean encrypted) {
        withAgent(dom, AgentJobKind.MODIFY, "setUserPassword", a -> {
            a.setUserPassword(user, password, encrypted);
            return null;
        });
    }

    /**
     * guest-shutdown: the guest powers off (reason {@code shutdown}) or reboots on its own thread;
     * returns once the agent's channel closed (at most {@link FakeGuestAgent#SHUTDOWN_TIMEOUT}).
     */
    public void shutdown(DomainObj dom, boolean reboot) {
        completed(dom, reboot ? "reboot" : "shutdown", a -> {
            a.shutdown(reboot);
            return null;
        });
    }

    /**
     * A MODIFY agent call whose command may end the domain (guest-shutdown): when the agent
     * completed it and the domain then turned out stopped or gone, the call still succeeded.
     */
    private <T> T completed(DomainObj dom, String api, Function<FakeGuestAgent, T> body) {
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<T> result = new AtomicReference<>();
        try {
            return withAgent(dom, AgentJobKind.MODIFY, api, a -> {
                T r = body.apply(a);
                result.set(r);
                done.set(true);
                return r;
            });
        } catch (VirtException e) {
            boolean gone = e.code() == ErrorCode.OPERATION_INVALID || e.code() == ErrorCode.NO_DOMAIN;
            if (done.get() && gone) {
                return result.get();
            }
            throw e;
        }
    }

    private <T> T withAgent(DomainObj dom, AgentJobKind kind, String api, Function<FakeGuestAgent, T> body) {
        try (var l = dom.locked(); AgentJob job = dom.jobs().beginAgent(kind, api)) {
            dom.requireActive();
            FakeGuestAgent agent = running.get(dom);
            if (dom.state() != DomainState.RUNNING || agent == null) {
                throw VirtException.invalid("domain is not running (it is " + dom.state().name()
                        .toLowerCase(Locale.ROOT) + "): its guest agent cannot answer");
            }
            return job.agent(() -> body.apply(agent));
        }
    }

    private FakeGuestAgent newAgent(DomainObj d) {
        List<Device.Interface> nics = d.def().devices(Device.Interface.class);
        int h = d.uuid().hashCode();
        String mac = !nics.isEmpty() && nics.getFirst().mac() != null ? nics.getFirst().mac()
                : String.format(Locale.ROOT, "52:54:00:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
        String ip = "192.0.2." + (2 + Math.floorMod(h, 250));
        return new FakeGuestAgent(d.name(), mac, ip, agentMode(d.name()),
                (agent, reboot) -> power.guestPowerOff(d, agent, reboot));
    }

    private void emit(DomainObj d, boolean connected) {
        events.emit(new DomainEvent.AgentLifecycleEvent(d.name(), d.uuid(), Instant.now(), connected));
    }
}

package io.jvirt.driver.test;

import io.jvirt.api.Capabilities;
import io.jvirt.api.DomainEvent;
import io.jvirt.api.DomainEvent.Lifecycle;
import io.jvirt.api.DomainInfo;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Feature;
import io.jvirt.api.InterfaceAddresses;
import io.jvirt.api.JobInfo;
import io.jvirt.api.ShutdownMode;
import io.jvirt.api.StateReason;
import io.jvirt.api.Version;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.test.agent.AgentMode;
import io.jvirt.driver.test.agent.FakeGuestAgent;
import io.jvirt.driver.test.agent.TestDriverControl;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DomainObjList;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.spi.event.EventSink;
import io.jvirt.spi.job.AgentJob;
import io.jvirt.spi.job.AgentJobKind;
import io.jvirt.spi.job.Job;
import io.jvirt.spi.job.JobKind;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The test hypervisor: domains live in memory and every operation changes their state at once, as
 * a real hypervisor would in the end (a shutdown completes immediately, reason {@code shutdown}).
 * Ids are handed out from 1 upwards. Lifecycle events carry libvirt's detail words.
 *
 * <p>Every state change runs through {@link #withJob}, the one place where the domain's normal job
 * is taken (docs/job-model.md); the body then runs under the short domain lock and never waits:
 * nothing here does I/O.
 *
 * <p>Each running domain has a {@link FakeGuestAgent}. Agent calls take an agent job (never a
 * normal job) and talk to the agent with the domain lock dropped, so a silent agent
 * ({@link AgentMode#SILENT}, chosen with {@code ?agent=silent} or {@link TestDriverControl})
 * blocks only other agent calls.
 */
final class TestDriver implements HypervisorDriver, TestDriverControl {
    private static final System.Logger LOG = System.getLogger(TestDriver.class.getName());

    /** The features this driver implements; every other one answers {@code NO_SUPPORT}. */
    static final EnumSet<Feature> FEATURES =
            EnumSet.of(Feature.PERSISTENT, Feature.SUSPEND, Feature.SHUTDOWN, Feature.AUTOSTART, Feature.JOBS,
                    Feature.AGENT);

    private final String uri;
    private final EventSink events;
    private final DomainObjList domains = new DomainObjList();
    private final AtomicInteger nextId = new AtomicInteger(1);
    private final Capabilities capabilities;
    private final AgentMode defaultAgentMode;
    private final Map<String, AgentMode> agentModes = new ConcurrentHashMap<>();
    /** True while the constructor boots the node's initial domains. */
    private boolean loading = true;

    TestDriver(String uri, TestNode node, EventSink events) {
        this(uri, node, events, AgentMode.ON);
    }

    TestDriver(String uri, TestNode node, EventSink events, AgentMode defaultAgentMode) {
        this.uri = uri;
        this.defaultAgentMode = Objects.requireNonNull(defaultAgentMode, "defaultAgentMode");
        this.events = Objects.requireNonNull(events, "events");
        this.capabilities = new Capabilities(node.host(),
                List.of(new Capabilities.Guest("hvm", "x86_64", "", List.of("pc", "q35"), List.of("test")),
                        new Capabilities.Guest("hvm", "i686", "", List.of("pc"), List.of("test"))),
                FEATURES, List.of("backend: in-memory test hypervisor"));
        for (TestNode.NodeDomain nd : node.domains()) {
            DomainObjList.AddResult added = domains.addOrGet(checkType(nd.def()), true);
            if (!added.added()) {
                throw new VirtException(ErrorCode.DOMAIN_EXISTS, "domain '" + nd.def().name()
                        + "' is described twice");
            }
            DomainObj obj = added.domain();
            try (var l = obj.locked()) {
                switch (nd.state()) {
                    case RUNNING -> boot(obj, StateReason.BOOTED);
                    case PAUSED -> {
                        boot(obj, StateReason.BOOTED);
                        obj.setStatus(DomainState.PAUSED, StateReason.USER);
                    }
                    default -> obj.setStatus(DomainState.SHUTOFF, StateReason.UNKNOWN);
                }
            }
        }
        loading = false;
    }

    @Override
    public String name() {
        return "Test";
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public Version hypervisorVersion() {
        return new Version(2, 0, 0);
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public DomainObjList domains() {
        return domains;
    }

    // ---- the job hook ----

    /**
     * Runs {@code body} on {@code dom} holding a normal job of {@code kind} for {@code api} (see
     * {@code docs/job-model.md}); the body runs under the domain lock. Taking the job waits (lock
     * dropped) for a job in progress and fails with {@code NO_DOMAIN} if the domain was removed.
     */
    private static <T> T withJob(DomainObj dom, JobKind kind, String api, Function<DomainObj, T> body) {
        try (var l = dom.locked(); Job job = dom.jobs().begin(kind, api)) {
            return body.apply(dom);
        }
    }

    private static void withJob(DomainObj dom, JobKind kind, String api, Consumer<DomainObj> body) {
        withJob(dom, kind, api, d -> {
            body.accept(d);
            return null;
        });
    }

    /** Whether {@code e} says that {@code obj} went away while we were about to take its job. */
    private static boolean lostRace(VirtException e, DomainObj obj) {
        return e.code() == ErrorCode.NO_DOMAIN && obj.isRemoved();
    }

    // ---- define / create ----

    private static DomainDef checkType(DomainDef def) {
        if (!def.type().equals("test")) {
            throw new VirtException(ErrorCode.CONFIG_UNSUPPORTED, "unsupported configuration: domain type '"
                    + def.type() + "' is not supported by the test driver (use <domain type='test'>)");
        }
        return def;
    }

    @Override
    public DomainObj define(DomainDef def) {
        checkType(def);
        while (true) {
            DomainObjList.AddResult added = domains.addOrGet(def, true);
            DomainObj obj = added.domain();
            try {
                withJob(obj, JobKind.MODIFY, "define", d -> {
                    boolean wasPersistent = !added.added() && d.isPersistent();
                    if (d.isActive()) {
                        d.setPersistentDef(def);
                    } else {
                        d.setDef(def);
                    }
                    d.setPersistent(true);
                    emit(d, Lifecycle.DEFINED, wasPersistent ? "Updated" : "Added");
                });
                return obj;
            } catch (VirtException e) {
                if (!lostRace(e, obj)) {
                    throw e;
                }
                // undefined between the lookup and the job: define it afresh
            }
        }
    }

    @Override
    public DomainObj create(DomainDef def) {
        checkType(def);
        while (true) {
            DomainObjList.AddResult added = domains.addOrGet(def, false);
            DomainObj obj = added.domain();
            try {
                withJob(obj, JobKind.MODIFY, "create", d -> {
                    if (d.isActive()) {
                        throw VirtException.invalid("domain '" + d.name() + "' is already active");
                    }
                    if (!added.added() && d.isPersistent()) {
                        // an inactive persistent domain runs the given definition; its own returns at stop
                        d.setPersistentDef(d.def());
                        d.setDef(def);
                    }
                    boot(d, StateReason.BOOTED);
                    emit(d, Lifecycle.STARTED, "Booted");
                });
                return obj;
            } catch (VirtException e) {
                if (!lostRace(e, obj)) {
                    throw e;
                }
            }
        }
    }

    @Override
    public void undefine(DomainObj dom) {
        withJob(dom, JobKind.MODIFY, "undefine", d -> {
            if (!d.isPersistent()) {
                throw VirtException.invalid("cannot undefine transient domain '" + d.name() + "'");
            }
            d.setAutostart(false);
            d.setPersistent(false);
            if (d.isActive()) {
                d.setPersistentDef(null);
            } else {
                domains.remove(d);
            }
            emit(d, Lifecycle.UNDEFINED, "Removed");
        });
    }

    // ---- lifecycle ----

    @Override
    public void start(DomainObj dom) {
        withJob(dom, JobKind.MODIFY, "start", d -> {
            if (d.isActive()) {
                throw VirtException.invalid("domain is already running");
            }
            if (d.isPersistent()) {
                d.setPersistentDef(d.def());
            }
            boot(d, StateReason.BOOTED);
            emit(d, Lifecycle.STARTED, "Booted");
        });
    }

    @Override
    public void shutdown(DomainObj dom, ShutdownMode mode) {
        if (mode == ShutdownMode.AGENT) {
            agentShutdown(dom, false);
            return;
        }
        withJob(dom, JobKind.MODIFY, "shutdown", d -> {
            d.requireActive();
            stop(d, StateReason.SHUTDOWN);
            emit(d, Lifecycle.STOPPED, "Shutdown");
        });
    }

    @Override
    public void destroy(DomainObj dom) {
        withJob(dom, JobKind.DESTROY, "destroy", d -> {
            d.requireActive();
            stop(d, StateReason.DESTROYED);
            emit(d, Lifecycle.STOPPED, "Destroyed");
        });
    }

    @Override
    public void reboot(DomainObj dom, ShutdownMode mode) {
        if (mode == ShutdownMode.AGENT) {
            agentShutdown(dom, true);
            return;
        }
        withJob(dom, JobKind.MODIFY, "reboot", d -> {
            d.requireActive();
            if ("destroy".equals(d.def().onReboot())) {
                // <on_reboot>destroy</on_reboot>: the guest's reboot ends the domain
                stop(d, StateReason.SHUTDOWN);
                emit(d, Lifecycle.STOPPED, "Shutdown");
            } else {
                reset(d);
            }
        });
    }

    @Override
    public void suspend(DomainObj dom) {
        withJob(dom, JobKind.SUSPEND, "suspend", d -> {
            d.requireActive();
            if (d.state() == DomainState.PAUSED) {
                throw VirtException.invalid("domain '" + d.name() + "' is already paused");
            }
            d.setStatus(DomainState.PAUSED, StateReason.USER);
            emit(d, Lifecycle.SUSPENDED, "Paused");
        });
    }

    @Override
    public void resume(DomainObj dom) {
        withJob(dom, JobKind.MODIFY, "resume", d -> {
            d.requireActive();
            if (d.state() != DomainState.PAUSED) {
                throw VirtException.invalid("domain '" + d.name() + "' is not paused");
            }
            d.setStatus(DomainState.RUNNING, StateReason.UNPAUSED);
            emit(d, Lifecycle.RESUMED, "Unpaused");
        });
    }

    @Override
    public void setAutostart(DomainObj dom, boolean autostart) {
        withJob(dom, JobKind.MODIFY, "setAutostart", d -> {
            if (!d.isPersistent()) {
                throw VirtException.invalid("cannot set autostart for transient domain '" + d.name() + "'");
            }
            d.setAutostart(autostart);
        });
    }

    @Override
    public DomainInfo info(DomainObj dom) {
        try (var l = dom.locked()) {
            DomainDef def = dom.def();
            long cpu = 0;
            if (dom.isActive() && dom.privateData() instanceof RunData(long bootNanos, FakeGuestAgent ignored)) {
                cpu = Math.max(1, System.nanoTime() - bootNanos);
            }
            return new DomainInfo(dom.state(), def.memoryKiB(), def.currentMemoryKiB(), def.vcpus(), cpu);
        }
    }

    @Override
    public JobInfo jobInfo(DomainObj dom) {
        return dom.jobs().info();
    }

    /** Every test operation completes at once, so no async job is ever there to abort. */
    @Override
    public void abortJob(DomainObj dom) {
        withJob(dom, JobKind.ABORT, "abortJob", d -> {
            d.jobs().abortAsync("abortJob");
        });
    }

    @Override
    public void close() {
        // nothing is held: the host lives in memory and goes with this instance
    }

    // ---- guest agent (agent jobs; the domain lock is dropped while the agent works) ----

    @Override
    public String agentCommand(DomainObj dom, String json, Duration timeout) {
        Duration wait = FakeGuestAgent.effectiveTimeout(timeout);
        return withAgent(dom, AgentJobKind.MODIFY, "agentCommand", a -> a.execute(json, wait));
    }

    @Override
    public Instant guestTime(DomainObj dom) {
        return withAgent(dom, AgentJobKind.QUERY, "time", FakeGuestAgent::time);
    }

    @Override
    public void setGuestTime(DomainObj dom, Instant time) {
        withAgent(dom, AgentJobKind.MODIFY, "setTime", a -> {
            a.setTime(time);
            return null;
        });
    }

    @Override
    public int fsFreeze(DomainObj dom, List<String> mountpoints) {
        List<String> mounts = List.copyOf(mountpoints);
        return withAgent(dom, AgentJobKind.MODIFY, "fsFreeze", a -> a.freeze(mounts));
    }

    @Override
    public int fsThaw(DomainObj dom, List<String> mountpoints) {
        List<String> mounts = List.copyOf(mountpoints);
        return withAgent(dom, AgentJobKind.MODIFY, "fsThaw", a -> a.thaw(mounts));
    }

    @Override
    public List<InterfaceAddresses> interfaceAddresses(DomainObj dom, InterfaceAddresses.Source source) {
        if (source != InterfaceAddresses.Source.AGENT) {
            throw VirtException.noSupport("interface addresses from source '"
                    + String.valueOf(source).toLowerCase(java.util.Locale.ROOT)
                    + "' (the test driver knows only 'agent')");
        }
        return withAgent(dom, AgentJobKind.QUERY, "interfaceAddresses", FakeGuestAgent::interfaces);
    }

    @Override
    public Map<String, String> guestInfo(DomainObj dom) {
        return withAgent(dom, AgentJobKind.QUERY, "guestInfo", FakeGuestAgent::guestInfo);
    }

    @Override
    public void setUserPassword(DomainObj dom, String user, String password, boolean encrypted) {
        withAgent(dom, AgentJobKind.MODIFY, "setUserPassword", a -> {
            a.setUserPassword(user, password, encrypted);
            return null;
        });
    }

    /**
     * guest-shutdown through the agent: the guest powers off (reason {@code shutdown}) or
     * reboots on its own thread; this returns once the agent's channel closed.
     */
    private void agentShutdown(DomainObj dom, boolean reboot) {
        AtomicBoolean accepted = new AtomicBoolean();
        try {
            withAgent(dom, AgentJobKind.MODIFY, reboot ? "reboot" : "shutdown", a -> {
                accepted.set(true);
                a.shutdown(reboot);
                return null;
            });
        } catch (VirtException e) {
            // the guest went down while we waited: that is what was asked
            boolean gone = e.code() == ErrorCode.OPERATION_INVALID || e.code() == ErrorCode.NO_DOMAIN;
            if (!(accepted.get() && gone)) {
                throw e;
            }
        }
    }

    /** The guest acts on guest-shutdown: takes a normal job and stops or resets. */
    private void guestPowerOff(DomainObj dom, FakeGuestAgent agent, boolean reboot) {
        try {
            withJob(dom, JobKind.MODIFY, reboot ? "guest reboot" : "guest shutdown", d -> {
                if (!d.isActive() || !(d.privateData() instanceof RunData rd) || rd.agent() != agent) {
                    return; // stopped or reset meanwhile
                }
                if (reboot && !"destroy".equals(d.def().onReboot())) {
                    reset(d);
                } else {
                    stop(d, StateReason.SHUTDOWN);
                    emit(d, Lifecycle.STOPPED, "Shutdown");
                }
            });
        } catch (VirtException e) {
            if (!lostRace(e, dom)) {
                LOG.log(System.Logger.Level.WARNING, "test guest " + dom.name() + " could not power off: "
                        + e.getMessage());
            }
        } finally {
            agent.disconnect();
        }
    }

    /**
     * Runs {@code body} against the running domain's agent holding an agent job of {@code kind};
     * the body runs with the domain lock dropped. An inactive or paused domain fails with
     * {@code OPERATION_INVALID} (a paused guest's agent cannot answer).
     */
    private static <T> T withAgent(DomainObj dom, AgentJobKind kind, String api, Function<FakeGuestAgent, T> body) {
        try (var l = dom.locked(); AgentJob job = dom.jobs().beginAgent(kind, api)) {
            dom.requireActive();
            if (dom.state() != DomainState.RUNNING || !(dom.privateData() instanceof RunData rd)) {
                throw VirtException.invalid("domain is not running (it is " + dom.state().name()
                        .toLowerCase(java.util.Locale.ROOT) + "): its guest agent cannot answer");
            }
            FakeGuestAgent agent = rd.agent();
            return job.agent(() -> body.apply(agent));
        }
    }

    @Override
    public void setAgentMode(String domainName, AgentMode mode) {
        Objects.requireNonNull(domainName, "domainName");
        Objects.requireNonNull(mode, "mode");
        agentModes.put(domainName, mode);
        DomainObj d;
        try {
            d = domains.byName(domainName);
        } catch (VirtException e) {
            return; // not defined yet: applies when it starts
        }
        try (var l = d.locked()) {
            if (d.isActive() && d.privateData() instanceof RunData rd) {
                boolean was = rd.agent().isConnected();
                rd.agent().setMode(mode);
                boolean now = rd.agent().isConnected();
                if (was != now) {
                    emitAgent(d, now);
                }
            }
        }
    }

    @Override
    public AgentMode agentMode(String domainName) {
        return agentModes.getOrDefault(Objects.requireNonNull(domainName, "domainName"), defaultAgentMode);
    }

    private FakeGuestAgent newAgent(DomainObj d) {
        List<Device.Interface> nics = d.def().devices(Device.Interface.class);
        int h = d.uuid().hashCode();
        String mac = !nics.isEmpty() && nics.getFirst().mac() != null ? nics.getFirst().mac()
                : String.format("52:54:00:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
        String ip = "192.0.2." + (2 + Math.floorMod(h, 250));
        return new FakeGuestAgent(d.name(), mac, ip, agentMode(d.name()),
                (agent, reboot) -> guestPowerOff(d, agent, reboot));
    }

    // ---- state helpers (called under the domain lock) ----

    /**
     * What a running test domain tracks: when it booted (its CPU time is the time since) and its
     * guest agent.
     *
     * @param bootNanos {@link System#nanoTime()} at boot
     * @param agent     the guest's agent
     */
    record RunData(long bootNanos, FakeGuestAgent agent) {
    }

    private void boot(DomainObj d, StateReason reason) {
        domains.setId(d, nextId.getAndIncrement());
        d.setStatus(DomainState.RUNNING, reason);
        d.setPrivateData(new RunData(System.nanoTime(), newAgent(d)));
        agentConnected(d);
    }

    /** The guest reset: it keeps running, its agent's channel closes and a fresh agent connects. */
    private void reset(DomainObj d) {
        d.setStatus(DomainState.RUNNING, StateReason.BOOTED);
        if (d.privateData() instanceof RunData rd) {
            agentGone(d, rd.agent());
            d.setPrivateData(new RunData(rd.bootNanos(), newAgent(d)));
            agentConnected(d);
        }
    }

    private void stop(DomainObj d, StateReason reason) {
        domains.setId(d, -1);
        d.setStatus(DomainState.SHUTOFF, reason);
        if (d.privateData() instanceof RunData rd) {
            agentGone(d, rd.agent());
        }
        d.setPrivateData(null);
        if (d.persistentDef() != null) {
            d.setDef(d.persistentDef());
            d.setPersistentDef(null);
        }
        if (!d.isPersistent()) {
            domains.remove(d);
        }
    }

    private void agentConnected(DomainObj d) {
        if (loading) {
            return; // the host's initial domains were running before anyone connected: no events
        }
        if (d.privateData() instanceof RunData rd && rd.agent().isConnected()) {
            emitAgent(d, true);
        }
    }

    private void agentGone(DomainObj d, FakeGuestAgent agent) {
        boolean was = agent.isConnected();
        agent.disconnect();
        if (was) {
            emitAgent(d, false);
        }
    }

    private void emitAgent(DomainObj d, boolean connected) {
        events.emit(new DomainEvent.AgentLifecycleEvent(d.name(), d.uuid(), Instant.now(), connected));
    }

    private void emit(DomainObj d, Lifecycle kind, String detail) {
        events.emit(new DomainEvent.LifecycleEvent(d.name(), d.uuid(), Instant.now(), kind, detail));
    }
}

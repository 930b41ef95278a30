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
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.test.agent.AgentMode;
import io.jvirt.driver.test.agent.FakeGuestAgent;
import io.jvirt.driver.test.agent.TestAgents;
import io.jvirt.driver.test.agent.TestDriverControl;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DomainObjList;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.spi.event.EventSink;
import io.jvirt.spi.job.AsyncJob;
import io.jvirt.spi.job.AsyncJobKind;
import io.jvirt.spi.job.Job;
import io.jvirt.spi.job.JobConfig;
import io.jvirt.spi.job.JobKind;
import io.jvirt.spi.job.JobProgress;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * <p>Each running domain has a fake guest agent ({@link TestAgents}): agent calls take an agent
 * job, never a normal job, and wait on the agent with the domain lock dropped.
 */
final class TestDriver implements HypervisorDriver {
    private static final System.Logger LOG = System.getLogger(TestDriver.class.getName());

    /** The features this driver implements; every other one answers {@code NO_SUPPORT}. */
    static final EnumSet<Feature> FEATURES =
            EnumSet.of(Feature.PERSISTENT, Feature.SUSPEND, Feature.SHUTDOWN, Feature.AUTOSTART, Feature.JOBS,
                    Feature.SAVE, Feature.AGENT, Feature.SET_USER_PASSWORD);

    /**
     * Settings from the URI's query.
     *
     * @param saveDelay how long {@code save} takes (query {@code saveDelayMs}; 0 = at once): a long
     *                  async job that queries, abort and destroy can meet
     * @param jobs      the job settings (query {@code jobWaitMs} sets the wait timeout)
     * @param agent     how the guest agents behave (query {@code agent=on|silent|none})
     */
    record Options(Duration saveDelay, JobConfig jobs, AgentMode agent) {
        static final Options DEFAULTS = new Options(Duration.ZERO, JobConfig.DEFAULTS, AgentMode.ON);
    }

    private final String uri;
    private final EventSink events;
    private final DomainObjList domains = new DomainObjList();
    private final AtomicInteger nextId = new AtomicInteger(1);
    private final Capabilities capabilities;
    private final Options options;
    private final TestAgents agents;
    /** True while the constructor boots the node's initial domains (no agent events then). */
    private boolean loading = true;

    TestDriver(String uri, TestNode node, EventSink events) {
        this(uri, node, events, Options.DEFAULTS);
    }

    TestDriver(String uri, TestNode node, EventSink events, Options options) {
        this.uri = uri;
        this.options = Objects.requireNonNull(options, "options");
        this.events = Objects.requireNonNull(events, "events");
        this.agents = new TestAgents(options.agent(), events, domains, this::guestPowerOff);
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
            DomainObj obj = configured(added.domain());
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

    /** Gives a new domain object the driver's job settings. */
    private DomainObj configured(DomainObj obj) {
        if (obj.jobs().config() != options.jobs()) {
            obj.jobs().setConfig(options.jobs());
        }
        return obj;
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
            DomainObj obj = configured(added.domain());
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
            DomainObj obj = configured(added.domain());
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
            agents.shutdown(dom, false);
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
            agents.shutdown(dom, true);
            return;
        }
        withJob(dom, JobKind.MODIFY, "reboot", d -> {
            d.requireActive();
            if ("destroy".equals(d.def().onReboot())) {
                // <on_reboot>destroy</on_reboot>: the guest's reboot ends the domain
                stop(d, StateReason.SHUTDOWN);
                emit(d, Lifecycle.STOPPED, "Shutdown");
            } else {
                d.setStatus(DomainState.RUNNING, StateReason.BOOTED);
                agents.reset(d);
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
            if (dom.isActive() && dom.privateData() instanceof RunData(long bootNanos)) {
                cpu = Math.max(1, System.nanoTime() - bootNanos);
            }
            return new DomainInfo(dom.state(), def.memoryKiB(), def.currentMemoryKiB(), def.vcpus(), cpu);
        }
    }

    @Override
    public JobInfo jobInfo(DomainObj dom) {
        return dom.jobs().info();
    }

    /**
     * Saves under a SAVE async job: with {@code saveDelayMs} it takes that long, publishing
     * progress and holding neither the lock nor a normal job meanwhile (queries, abort and destroy
     * get through); then it writes the image and stops the domain (reason saved).
     */
    @Override
    public void save(DomainObj dom, Path file) {
        try (var l = dom.locked(); AsyncJob job = dom.jobs().beginAsync(AsyncJobKind.SAVE, "save")) {
            dom.requireActive();
            long total = dom.def().currentMemoryKiB() * 1024;
            long delay = options.saveDelay().toNanos();
            long start = System.nanoTime();
            long elapsed;
            while ((elapsed = System.nanoTime() - start) < delay) {
                job.setProgress(JobProgress.memory(total, (long) (total * (elapsed / (double) delay))));
                job.pause(Duration.ofNanos(Math.min(delay - elapsed, 50_000_000L)));
            }
            job.setProgress(JobProgress.memory(total, total));
            DomainDef def = dom.def();
            job.remoteVoid(() -> {
                try {
                    TestSaveImage.write(file, def);
                } catch (IOException e) {
                    throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot write save image " + file + ": "
                            + e.getMessage(), e);
                }
            });
            try (Job nested = job.beginNested()) {
                stop(dom, StateReason.SAVED);
                emit(dom, Lifecycle.STOPPED, "Saved");
            }
            job.complete();
        }
    }

    /** Restores a save image into a new or inactive domain of the same name and UUID. */
    @Override
    public DomainObj restore(Path file) {
        DomainDef def = checkType(TestSaveImage.read(file));
        while (true) {
            DomainObjList.AddResult added = domains.addOrGet(def, false);
            DomainObj obj = configured(added.domain());
            try (var l = obj.locked(); AsyncJob job = obj.jobs().beginAsync(AsyncJobKind.RESTORE, "restore")) {
                if (obj.isActive()) {
                    throw VirtException.invalid("domain '" + obj.name() + "' is already active");
                }
                if (obj.isPersistent()) {
                    obj.setPersistentDef(obj.def());
                }
                obj.setDef(def);
                try (Job nested = job.beginNested()) {
                    boot(obj, StateReason.RESTORED);
                    emit(obj, Lifecycle.STARTED, "Restored");
                }
                job.complete();
                return obj;
            } catch (VirtException e) {
                if (!lostRace(e, obj)) {
                    throw e;
                }
            }
        }
    }

    /** Cancels the running async job (a slow save). */
    @Override
    public void abortJob(DomainObj dom) {
        withJob(dom, JobKind.ABORT, "abortJob", d -> {
            d.jobs().abortAsync("abortJob");
        });
    }

    // ---- guest agent: see TestAgents ----

    @Override
    public String agentCommand(DomainObj dom, String json, Duration timeout) {
        return agents.agentCommand(dom, json, timeout);
    }

    @Override
    public Instant guestTime(DomainObj dom) {
        return agents.time(dom);
    }

    @Override
    public void setGuestTime(DomainObj dom, Instant time) {
        agents.setTime(dom, time);
    }

    @Override
    public int fsFreeze(DomainObj dom, List<String> mountpoints) {
        return agents.fsFreeze(dom, mountpoints);
    }

    @Override
    public int fsThaw(DomainObj dom, List<String> mountpoints) {
        return agents.fsThaw(dom, mountpoints);
    }

    @Override
    public List<InterfaceAddresses> interfaceAddresses(DomainObj dom, InterfaceAddresses.Source source) {
        return agents.interfaceAddresses(dom, source);
    }

    @Override
    public Map<String, String> guestInfo(DomainObj dom) {
        return agents.guestInfo(dom);
    }

    @Override
    public void setUserPassword(DomainObj dom, String user, String password, boolean encrypted) {
        agents.setUserPassword(dom, user, password, encrypted);
    }

    /** The guest acts on guest-shutdown: under a normal job it stops (reason shutdown) or resets. */
    private void guestPowerOff(DomainObj dom, FakeGuestAgent agent, boolean reboot) {
        try {
            withJob(dom, JobKind.MODIFY, reboot ? "guest reboot" : "guest shutdown", d -> {
                if (!d.isActive() || !agents.isCurrent(d, agent)) {
                    return; // stopped or reset meanwhile
                }
                if (reboot && !"destroy".equals(d.def().onReboot())) {
                    d.setStatus(DomainState.RUNNING, StateReason.BOOTED);
                    agents.reset(d);
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

    /** {@link TestDriverControl} (test-only controls of the fake guest agents) or the default. */
    @Override
    public <T> T unwrap(Class<T> type) {
        return type == TestDriverControl.class ? type.cast(agents) : HypervisorDriver.super.unwrap(type);
    }

    @Override
    public void close() {
        // nothing is held: the host lives in memory and goes with this instance
    }

    // ---- state helpers (called under the domain lock) ----

    /**
     * What a running test domain tracks: when it booted (its CPU time is the time since).
     *
     * @param bootNanos {@link System#nanoTime()} at boot
     */
    record RunData(long bootNanos) {
    }

    private void boot(DomainObj d, StateReason reason) {
        domains.setId(d, nextId.getAndIncrement());
        d.setStatus(DomainState.RUNNING, reason);
        d.setPrivateData(new RunData(System.nanoTime()));
        agents.started(d, loading);
    }

    private void stop(DomainObj d, StateReason reason) {
        domains.setId(d, -1);
        d.setStatus(DomainState.SHUTOFF, reason);
        d.setPrivateData(null);
        agents.stopped(d);
        if (d.persistentDef() != null) {
            d.setDef(d.persistentDef());
            d.setPersistentDef(null);
        }
        if (!d.isPersistent()) {
            domains.remove(d);
        }
    }

    private void emit(DomainObj d, Lifecycle kind, String detail) {
        events.emit(new DomainEvent.LifecycleEvent(d.name(), d.uuid(), Instant.now(), kind, detail));
    }
}

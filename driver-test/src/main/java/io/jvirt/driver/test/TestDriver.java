package io.jvirt.driver.test;

import io.jvirt.api.Capabilities;
import io.jvirt.api.DomainEvent;
import io.jvirt.api.DomainEvent.Lifecycle;
import io.jvirt.api.DomainInfo;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Feature;
import io.jvirt.api.JobInfo;
import io.jvirt.api.ShutdownMode;
import io.jvirt.api.StateReason;
import io.jvirt.api.Version;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DomainObjList;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.spi.event.EventSink;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The test hypervisor: domains live in memory and every operation changes their state at once, as
 * a real hypervisor would in the end (a shutdown completes immediately, reason {@code shutdown}).
 * Ids are handed out from 1 upwards. Lifecycle events carry libvirt's detail words.
 *
 * <p>Every state change runs through {@link #withJob}, the one place where the domain's job is
 * taken; the body then runs under the short domain lock (it never waits: nothing here does I/O).
 */
final class TestDriver implements HypervisorDriver {
    /** The features this driver implements; every other one answers {@code NO_SUPPORT}. */
    static final EnumSet<Feature> FEATURES =
            EnumSet.of(Feature.PERSISTENT, Feature.SUSPEND, Feature.SHUTDOWN, Feature.AUTOSTART);

    private final String uri;
    private final EventSink events;
    private final DomainObjList domains = new DomainObjList();
    private final AtomicInteger nextId = new AtomicInteger(1);
    private final Capabilities capabilities;

    TestDriver(String uri, TestNode node, EventSink events) {
        this.uri = uri;
        this.events = Objects.requireNonNull(events, "events");
        this.capabilities = new Capabilities(node.host(),
                List.of(new Capabilities.Guest("hvm", "x86_64", "", List.of("pc", "q35"), List.of("test")),
                        new Capabilities.Guest("hvm", "i686", "", List.of("pc"), List.of("test"))),
                FEATURES, List.of("backend: in-memory test hypervisor"));
        for (TestNode.NodeDomain nd : node.domains()) {
            DomainObj obj = domains.addOrGet(checkType(nd.def()), true).domain();
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

    /** What a state change does to the domain, for the job it takes. */
    enum Job { MODIFY, DESTROY, SUSPEND, QUERY }

    /**
     * Runs {@code body} on {@code dom} holding the domain's job for {@code api}; the body runs under
     * the domain lock and re-checks that the domain still exists.
     */
    private <T> T withJob(DomainObj dom, Job job, String api, Function<DomainObj, T> body) {
        try (var l = dom.locked()) {
            if (dom.isRemoved()) {
                throw new VirtException(ErrorCode.NO_DOMAIN, "Domain not found: domain '" + dom.name()
                        + "' was removed during " + api);
            }
            return body.apply(dom);
        }
    }

    private void withJob(DomainObj dom, Job job, String api, java.util.function.Consumer<DomainObj> body) {
        withJob(dom, job, api, d -> {
            body.accept(d);
            return null;
        });
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
            Boolean done = withJob(obj, Job.MODIFY, "define", d -> {
                if (d.isRemoved()) {
                    return false;
                }
                boolean wasPersistent = !added.added() && d.isPersistent();
                if (d.isActive()) {
                    d.setPersistentDef(def);
                } else {
                    d.setDef(def);
                }
                d.setPersistent(true);
                emit(d, Lifecycle.DEFINED, wasPersistent ? "Updated" : "Added");
                return true;
            });
            if (done) {
                return obj;
            }
        }
    }

    @Override
    public DomainObj create(DomainDef def) {
        checkType(def);
        DomainObjList.AddResult added = domains.addOrGet(def, false);
        DomainObj obj = added.domain();
        withJob(obj, Job.MODIFY, "create", d -> {
            if (!added.added()) {
                d.requireInactive();
                // an inactive persistent domain runs with the given definition; its own one returns at stop
                d.setPersistentDef(d.def());
                d.setDef(def);
            }
            boot(d, StateReason.BOOTED);
            emit(d, Lifecycle.STARTED, "Booted");
        });
        return obj;
    }

    @Override
    public void undefine(DomainObj dom) {
        withJob(dom, Job.MODIFY, "undefine", d -> {
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
        withJob(dom, Job.MODIFY, "start", d -> {
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
        withJob(dom, Job.MODIFY, "shutdown", d -> {
            d.requireActive();
            stop(d, StateReason.SHUTDOWN);
            emit(d, Lifecycle.STOPPED, "Shutdown");
        });
    }

    @Override
    public void destroy(DomainObj dom) {
        withJob(dom, Job.DESTROY, "destroy", d -> {
            d.requireActive();
            stop(d, StateReason.DESTROYED);
            emit(d, Lifecycle.STOPPED, "Destroyed");
        });
    }

    @Override
    public void reboot(DomainObj dom, ShutdownMode mode) {
        withJob(dom, Job.MODIFY, "reboot", d -> {
            d.requireActive();
            if ("destroy".equals(d.def().onReboot())) {
                // <on_reboot>destroy</on_reboot>: the guest's reboot ends the domain
                stop(d, StateReason.SHUTDOWN);
                emit(d, Lifecycle.STOPPED, "Shutdown");
            } else {
                d.setStatus(DomainState.RUNNING, StateReason.BOOTED);
            }
        });
    }

    @Override
    public void suspend(DomainObj dom) {
        withJob(dom, Job.SUSPEND, "suspend", d -> {
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
        withJob(dom, Job.MODIFY, "resume", d -> {
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
        withJob(dom, Job.MODIFY, "setAutostart", d -> {
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
        throw VirtException.noSupport("jobInfo (the test driver's job model is not wired yet)");
    }

    @Override
    public void abortJob(DomainObj dom) {
        throw VirtException.noSupport("abortJob (the test driver's job model is not wired yet)");
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
    }

    private void stop(DomainObj d, StateReason reason) {
        domains.setId(d, -1);
        d.setStatus(DomainState.SHUTOFF, reason);
        d.setPrivateData(null);
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

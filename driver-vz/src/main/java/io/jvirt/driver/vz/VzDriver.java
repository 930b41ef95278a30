package io.jvirt.driver.vz;

import io.jvirt.api.BlockStats;
import io.jvirt.api.Capabilities;
import io.jvirt.api.DomainEvent.Lifecycle;
import io.jvirt.api.DomainInfo;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Feature;
import io.jvirt.api.InterfaceStats;
import io.jvirt.api.JobInfo;
import io.jvirt.api.MigrateOptions;
import io.jvirt.api.ShutdownMode;
import io.jvirt.api.Version;
import io.jvirt.api.UndefineOption;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.vz.cache.SdkEventPump;
import io.jvirt.driver.vz.cache.VmPrivate;
import io.jvirt.driver.vz.cache.VzCache;
import io.jvirt.driver.vz.job.SdkCalls;
import io.jvirt.driver.vz.migration.VzMigration;
import io.jvirt.driver.vz.sdk.SdkSession;
import io.jvirt.driver.vz.sdk.VmInfo;
import io.jvirt.driver.vz.snapshot.VzSnapshots;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DomainObjList;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.spi.SnapshotData;
import io.jvirt.spi.job.Job;
import io.jvirt.spi.job.JobKind;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The vz driver: domains of a Virtuozzo host reached through the SDK port. Calls fall into three
 * groups (see {@code docs/vz-driver.md}): group 1 reads the cache only; group 2 uses the VM's
 * shared SDK handle under a job with the lock dropped while the SDK works; group 3 uses no shared
 * handle and no job. No domain lock is ever held while an SDK job is awaited.
 */
public final class VzDriver implements HypervisorDriver, VzMigration.Destination {
    /** The optional features this driver claims. */
    public static final Set<Feature> FEATURES = Set.copyOf(EnumSet.of(Feature.PERSISTENT, Feature.SUSPEND,
            Feature.SHUTDOWN, Feature.AUTOSTART, Feature.JOBS, Feature.SNAPSHOTS, Feature.MIGRATION,
            Feature.MANAGED_SAVE, Feature.SET_MEMORY, Feature.STATS, Feature.HOTPLUG, Feature.SET_USER_PASSWORD));

    private final VzConfig config;
    private final SdkSession session;
    private final VzCache cache;
    private final SdkCalls calls;
    private final SdkEventPump pump;
    private final VzSnapshots snapshots;
    private final VzMigration migration;
    private final VzDevices devices;

    @Inject
    VzDriver(VzConfig config, SdkSession session, VzCache cache, SdkCalls calls, SdkEventPump pump) {
        this.config = config;
        this.session = session;
        this.cache = cache;
        this.calls = calls;
        this.pump = pump;
        this.snapshots = new VzSnapshots(calls);
        this.migration = new VzMigration(cache, calls);
        this.devices = new VzDevices(calls);
        try {
            for (VmInfo info : calls.await(null, session.listVms())) {
                cache.adopt(info);
            }
        } catch (RuntimeException e) {
            pump.close();
            throw e;
        }
    }

    // ---- connection ----

    @Override
    public String name() {
        return "vz";
    }

    @Override
    public String uri() {
        return config.uri();
    }

    @Override
    public Version hypervisorVersion() {
        return Version.parse(session.hostInfo().version());
    }

    @Override
    public Capabilities capabilities() {
        SdkSession.HostInfo h = session.hostInfo();
        List<String> notes = new ArrayList<>();
        notes.add(h.emulated()
                ? "backend: emulated (vz SDK emulator at " + h.address() + "; no real Virtuozzo host)"
                : "backend: Virtuozzo SDK at " + h.address());
        notes.add("domain type: vz; migration: vz to vz (address " + h.address() + ")");
        return new Capabilities(new Capabilities.Host(h.arch(), h.cpus(), h.memoryKiB(), ""),
                List.of(new Capabilities.Guest("hvm", h.arch(), "", List.of(), List.of("vz"))), FEATURES, notes);
    }

    @Override
    public DomainObjList domains() {
        return cache.list();
    }

    @Override
    public VzCache cache() {
        return cache;
    }

    @Override
    public String address() {
        return session.hostInfo().address();
    }

    @Override
    public <T> T unwrap(Class<T> type) {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        return session.unwrap(type);
    }

    /** How many SDK events wait to be applied to the cache (for tests and diagnostics). */
    public int pumpBacklog() {
        return pump.backlog();
    }

    @Override
    public void close() {
        pump.close();
        session.close();
    }

    // ---- define / undefine (group 2 for existing domains) ----

    @Override
    public DomainObj define(DomainDef def) {
        DomainObj existing = checkIdentity(def);
        DomainDef vz = VzCache.asVz(def);
        if (existing == null) {
            VmInfo info = calls.await(null, session.registerVm(vz, false));
            return cache.adopt(info).domain();
        }
        calls.group2(existing, JobKind.MODIFY, "define", d -> { }, h -> {
            calls.await(existing, h.beginEdit());
            calls.await(existing, h.commit(vz));
            return h.setTransient(false);
        }, false);
        try (var l = existing.locked()) {
            cache.emit(existing, Lifecycle.DEFINED, "Updated");
        }
        return existing;
    }

    /** The domain with def's UUID, or null; refuses a name or UUID clash. */
    private DomainObj checkIdentity(DomainDef def) {
        if (!def.type().equals("vz") && !def.type().equals("parallels")) {
            throw new VirtException(ErrorCode.CONFIG_UNSUPPORTED, "domain type '" + def.type()
                    + "' is not supported by the vz driver: use <domain type='vz'>");
        }
        DomainObj byUuid = cache.list().findByUuid(def.uuid());
        if (byUuid != null && !byUuid.name().equals(def.name())) {
            throw new VirtException(ErrorCode.DOMAIN_EXISTS, "domain '" + byUuid.name() + "' already exists with uuid "
                    + def.uuid() + " (renaming through define is not supported)");
        }
        for (DomainObj other : cache.list().list(d -> d.name().equals(def.name()))) {
            if (!other.uuid().equals(def.uuid())) {
                throw new VirtException(ErrorCode.DOMAIN_EXISTS, "domain '" + def.name() + "' already exists with uuid "
                        + other.uuid());
            }
        }
        return byUuid;
    }

    @Override
    public DomainObj create(DomainDef def) {
        if (checkIdentity(def) != null) {
            throw new VirtException(ErrorCode.DOMAIN_EXISTS, "domain '" + def.name() + "' already exists");
        }
        VmInfo info = calls.await(null, session.registerVm(VzCache.asVz(def), true));
        DomainObj dom = cache.adopt(info).domain();
        try {
            start(dom);
        } catch (VirtException e) {
            try {
                calls.group2(dom, JobKind.MODIFY, "create (cleanup)", d -> { }, h -> h.unregister(), true);
                try (var l = dom.locked()) {
                    cache.forget(dom, null);
                }
            } catch (VirtException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return dom;
    }

    @Override
    public void undefine(DomainObj dom) {
        undefine(dom, Set.of());
    }

    @Override
    public void undefine(DomainObj dom, Set<UndefineOption> options) {
        boolean[] wasActive = new boolean[1];
        calls.group2(dom, JobKind.MODIFY, "undefine", d -> {
            if (!d.isPersistent()) {
                throw VirtException.invalid("cannot undefine transient domain '" + d.name() + "'");
            }
            if (VzCache.priv(d).managedSave && !options.contains(UndefineOption.MANAGED_SAVE)) {
                throw VirtException.invalid("Refusing to undefine domain '" + d.name() + "' while its managed save "
                        + "image exists (undefine with the managed-save option to delete it too)");
            }
            wasActive[0] = d.isActive();
        }, h -> {
            // checked under the job (lock dropped): a snapshot create is a job too, so none can slip in
            if (!options.contains(UndefineOption.SNAPSHOTS_METADATA)) {
                int n = calls.await(dom, session.listSnapshots(dom.uuid())).size();
                if (n > 0) {
                    throw VirtException.invalid("Refusing to undefine domain '" + dom.name() + "' while " + n
                            + (n == 1 ? " snapshot exists" : " snapshots exist") + " (undefine with the snapshots-metadata option "
                            + "to delete them too)");
                }
            }
            return wasActive[0] ? h.setTransient(true) : h.unregister();
        }, true);
        try (var l = dom.locked()) {
            if (wasActive[0]) {
                cache.emit(dom, Lifecycle.UNDEFINED, "Removed");
            } else if (!dom.isRemoved()) {
                cache.forget(dom, null);
            }
        }
    }

    // ---- lifecycle (group 2) ----

    @Override
    public void start(DomainObj dom) {
        calls.group2(dom, JobKind.MODIFY, "start", DomainObj::requireInactive, h -> h.start(), false);
    }

    @Override
    public void shutdown(DomainObj dom, ShutdownMode mode) {
        calls.group2(dom, JobKind.MODIFY, "shutdown", DomainObj::requireActive, h -> h.stop(false), true, "Shutdown");
    }

    @Override
    public void destroy(DomainObj dom) {
        calls.group2(dom, JobKind.DESTROY, "destroy", DomainObj::requireActive, h -> h.stop(true), true, "Destroyed");
    }

    @Override
    public void reboot(DomainObj dom, ShutdownMode mode) {
        calls.group2(dom, JobKind.MODIFY, "reboot", d -> requireState(d, DomainState.RUNNING), h -> h.restart(), false);
    }

    @Override
    public void suspend(DomainObj dom) {
        calls.group2(dom, JobKind.SUSPEND, "suspend", d -> requireState(d, DomainState.RUNNING), h -> h.pause(), false);
    }

    @Override
    public void resume(DomainObj dom) {
        calls.group2(dom, JobKind.MODIFY, "resume", d -> requireState(d, DomainState.PAUSED), h -> h.resume(), false);
    }

    private static void requireState(DomainObj d, DomainState want) {
        d.requireActive();
        if (d.state() != want) {
            throw VirtException.invalid("domain '" + d.name() + "' is " + d.state().label() + ", not " + want.label());
        }
    }

    @Override
    public void setAutostart(DomainObj dom, boolean autostart) {
        calls.group2(dom, JobKind.MODIFY, "setAutostart", d -> {
            if (!d.isPersistent()) {
                throw VirtException.invalid("cannot set autostart for transient domain '" + d.name() + "'");
            }
        }, h -> h.setAutostart(autostart), false);
    }

    @Override
    public void managedSave(DomainObj dom) {
        calls.group2(dom, JobKind.MODIFY, "managedSave", d -> {
            d.requireActive();
            if (!d.isPersistent()) {
                throw VirtException.invalid("cannot do managed save for transient domain '" + d.name() + "'");
            }
        }, h -> h.suspendToDisk(), false);
    }

    /** Sets a guest user's password through the SDK's guest tools (group 2). */
    @Override
    public void setUserPassword(DomainObj dom, String user, String password, boolean encrypted) {
        if (user == null || user.isEmpty()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "setUserPassword: user name must not be empty");
        }
        calls.group2(dom, JobKind.MODIFY, "setUserPassword", DomainObj::requireActive,
                h -> h.setUserPassword(user, password, encrypted), false);
    }

    @Override
    public void attachDevice(DomainObj dom, String xml) {
        devices.attach(dom, xml);
    }

    @Override
    public void detachDevice(DomainObj dom, String xml) {
        devices.detach(dom, xml);
    }

    @Override
    public void updateDevice(DomainObj dom, String xml) {
        devices.update(dom, xml);
    }

    @Override
    public void setMemory(DomainObj dom, long kib) {
        devices.setMemory(dom, kib);
    }

    // ---- group 1: the cache only ----

    @Override
    public DomainInfo info(DomainObj dom) {
        try (var l = dom.locked()) {
            DomainDef def = dom.def();
            VmPrivate p = VzCache.priv(dom);
            long cpu = dom.isActive() && p.stats != null ? p.stats.cpuNanos() : 0;
            return new DomainInfo(dom.state(), def.memoryKiB(), def.currentMemoryKiB(), def.vcpus(), cpu);
        }
    }

    @Override
    public boolean hasManagedSave(DomainObj dom) {
        try (var l = dom.locked()) {
            return VzCache.priv(dom).managedSave;
        }
    }

    @Override
    public BlockStats blockStats(DomainObj dom, String disk) {
        return VzStats.block(dom, disk);
    }

    @Override
    public InterfaceStats interfaceStats(DomainObj dom, String device) {
        return VzStats.iface(dom, device);
    }

    @Override
    public Map<String, Long> memoryStats(DomainObj dom) {
        return VzStats.memory(dom);
    }

    @Override
    public JobInfo jobInfo(DomainObj dom) {
        return dom.jobs().info();
    }

    @Override
    public void abortJob(DomainObj dom) {
        try (var l = dom.locked()) {
            if (dom.jobs().asyncKind() == null) {
                // group-2 calls other than snapshot and migration are not abortable: say so at once
                throw VirtException.invalid("no abortable job is active on domain '" + dom.name() + "' ("
                        + dom.jobs().holders() + ")");
            }
            try (Job job = dom.jobs().begin(JobKind.ABORT, "abortJob")) {
                dom.jobs().abortAsync("abortJob");
            }
        }
    }

    // ---- group 3 ----

    @Override
    public void managedSaveRemove(DomainObj dom) {
        calls.group3(dom, "managedSaveRemove", s -> s.dropManagedSave(dom.uuid()));
        VmInfo info = calls.group3(dom, "managedSaveRemove", s -> s.vmInfo(dom.uuid()));
        try (var l = dom.locked()) {
            cache.apply(dom, info);
        }
    }

    @Override
    public SnapshotData createSnapshot(DomainObj dom, String xml) {
        return snapshots.create(dom, xml);
    }

    @Override
    public List<SnapshotData> listSnapshots(DomainObj dom) {
        return snapshots.list(dom);
    }

    @Override
    public SnapshotData snapshot(DomainObj dom, String name) {
        return snapshots.get(dom, name);
    }

    @Override
    public void revertSnapshot(DomainObj dom, String name) {
        snapshots.revert(dom, name);
    }

    @Override
    public void deleteSnapshot(DomainObj dom, String name) {
        snapshots.delete(dom, name);
    }

    // ---- migration ----

    @Override
    public DomainObj migrate(DomainObj dom, HypervisorDriver destination, MigrateOptions options) {
        VzDriver dest = destination == null ? null : destination.unwrap(VzDriver.class);
        if (dest == null) {
            throw new VirtException(ErrorCode.NO_SUPPORT, "this function is not supported by the driver: vz migrates only "
                    + "to another vz connection, not to " + (destination == null ? "null" : destination.name()));
        }
        return migration.migrate(dom, dest, options, address());
    }

    @Override
    public DomainObj receive(UUID uuid) {
        VmInfo info = calls.await(null, session.vmInfo(uuid));
        return cache.adopt(info).domain();
    }
}

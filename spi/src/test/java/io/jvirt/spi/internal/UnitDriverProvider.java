package io.jvirt.spi.internal;

import io.jvirt.api.Capabilities;
import io.jvirt.api.DomainEvent;
import io.jvirt.api.DomainState;
import io.jvirt.api.Feature;
import io.jvirt.api.JobInfo;
import io.jvirt.api.ShutdownMode;
import io.jvirt.api.StateReason;
import io.jvirt.api.Version;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DomainObjList;
import io.jvirt.spi.DriverContext;
import io.jvirt.spi.DriverProvider;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.spi.VirtUri;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A tiny driver for the framework's unit tests: {@code unit:///x}. */
public final class UnitDriverProvider implements DriverProvider {
    @Override
    public String name() {
        return "unit";
    }

    @Override
    public boolean accepts(VirtUri uri) {
        return uri.driver().equals("unit");
    }

    @Override
    public HypervisorDriver open(VirtUri uri, DriverContext context) {
        if (uri.path().equals("/refuse")) {
            throw new VirtException(io.jvirt.api.ErrorCode.NO_CONNECT, "unit driver refuses " + uri);
        }
        return new UnitDriver(uri.text(), context);
    }

    /** A driver whose domains the test adds directly. */
    public static final class UnitDriver implements HypervisorDriver {
        final String uri;
        final DriverContext ctx;
        final DomainObjList list = new DomainObjList();
        final AtomicInteger ids = new AtomicInteger(1);
        final AtomicBoolean closed = new AtomicBoolean();

        UnitDriver(String uri, DriverContext ctx) {
            this.uri = uri;
            this.ctx = ctx;
        }

        /** Adds a persistent inactive domain. */
        public DomainObj add(DomainDef def) {
            return list.addOrGet(def, true).domain();
        }

        public boolean isClosed() {
            return closed.get();
        }

        @Override
        public String name() {
            return "Unit";
        }

        @Override
        public String uri() {
            return uri;
        }

        @Override
        public Version hypervisorVersion() {
            return new Version(1, 2, 3);
        }

        @Override
        public Capabilities capabilities() {
            return new Capabilities(new Capabilities.Host("x86_64", 1, 1024, ""), List.of(),
                    Set.of(Feature.PERSISTENT), List.of());
        }

        @Override
        public DomainObjList domains() {
            return list;
        }

        @Override
        public DomainObj define(DomainDef def) {
            return add(def);
        }

        @Override
        public DomainObj create(DomainDef def) {
            DomainObj o = list.addOrGet(def, false).domain();
            start(o);
            return o;
        }

        @Override
        public void undefine(DomainObj dom) {
            try (var l = dom.locked()) {
                list.remove(dom);
            }
        }

        @Override
        public void start(DomainObj dom) {
            try (var l = dom.locked()) {
                dom.requireInactive();
                list.setId(dom, ids.getAndIncrement());
                dom.setStatus(DomainState.RUNNING, StateReason.BOOTED);
                ctx.events().emit(new DomainEvent.LifecycleEvent(dom.name(), dom.uuid(), Instant.now(),
                        DomainEvent.Lifecycle.STARTED, "Booted"));
            }
        }

        @Override
        public void shutdown(DomainObj dom, ShutdownMode mode) {
            destroy(dom);
        }

        @Override
        public void destroy(DomainObj dom) {
            try (var l = dom.locked()) {
                dom.requireActive();
                list.setId(dom, -1);
                dom.setStatus(DomainState.SHUTOFF, StateReason.DESTROYED);
            }
        }

        @Override
        public void reboot(DomainObj dom, ShutdownMode mode) {
            throw VirtException.noSupport("reboot");
        }

        @Override
        public void suspend(DomainObj dom) {
            throw VirtException.noSupport("suspend");
        }

        @Override
        public void resume(DomainObj dom) {
            throw VirtException.noSupport("resume");
        }

        @Override
        public void setAutostart(DomainObj dom, boolean autostart) {
            try (var l = dom.locked()) {
                dom.setAutostart(autostart);
            }
        }

        @Override
        public JobInfo jobInfo(DomainObj dom) {
            return JobInfo.none();
        }

        @Override
        public void abortJob(DomainObj dom) {
            throw VirtException.invalid("no job");
        }

        @Override
        public void close() {
            closed.set(true);
        }

        // ---- optional operations, for the framework's handles ----

        /** A domain extra: the object itself, reached with {@code dom.unwrap(DomainObj.class)}. */
        @Override
        public <T> T unwrapDomain(DomainObj dom, Class<T> type) {
            return type == DomainObj.class ? type.cast(dom) : null;
        }

        /** Moves the domain to {@code destination} (another unit driver): defined there, gone here. */
        @Override
        public DomainObj migrate(DomainObj dom, HypervisorDriver destination, io.jvirt.api.MigrateOptions options) {
            try (var l = dom.locked()) {
                dom.requireActive();
                UnitDriver dest = (UnitDriver) destination;
                DomainObj there = dest.list.addOrGet(dom.def(), false).domain();
                try (var l2 = there.locked()) {
                    dest.list.setId(there, dest.ids.getAndIncrement());
                    there.setStatus(DomainState.RUNNING, StateReason.MIGRATED);
                }
                list.remove(dom);
                return there;
            }
        }

        final java.util.Map<java.util.UUID, java.util.List<io.jvirt.spi.SnapshotData>> snaps =
                new java.util.concurrent.ConcurrentHashMap<>();

        private java.util.List<io.jvirt.spi.SnapshotData> snaps(DomainObj dom) {
            return snaps.computeIfAbsent(dom.uuid(), u -> new java.util.concurrent.CopyOnWriteArrayList<>());
        }

        @Override
        public io.jvirt.spi.SnapshotData createSnapshot(DomainObj dom, String xml) {
            java.util.List<io.jvirt.spi.SnapshotData> l = snaps(dom);
            String name = xml.replaceAll("(?s).*<name>(.*)</name>.*", "$1");
            String parent = null;
            for (int i = 0; i < l.size(); i++) {
                io.jvirt.spi.SnapshotData s = l.get(i);
                if (s.current()) {
                    parent = s.name();
                    l.set(i, new io.jvirt.spi.SnapshotData(s.name(), s.parent(), false, s.xml()));
                }
            }
            io.jvirt.spi.SnapshotData made = new io.jvirt.spi.SnapshotData(name, parent, true, xml);
            l.add(made);
            return made;
        }

        @Override
        public java.util.List<io.jvirt.spi.SnapshotData> listSnapshots(DomainObj dom) {
            return java.util.List.copyOf(snaps(dom));
        }

        @Override
        public io.jvirt.spi.SnapshotData snapshot(DomainObj dom, String name) {
            return snaps(dom).stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() ->
                    new VirtException(io.jvirt.api.ErrorCode.NO_DOMAIN_SNAPSHOT, "no snapshot '" + name + "'"));
        }

        @Override
        public void deleteSnapshot(DomainObj dom, String name) {
            snaps(dom).remove(snapshot(dom, name));
        }
    }
}

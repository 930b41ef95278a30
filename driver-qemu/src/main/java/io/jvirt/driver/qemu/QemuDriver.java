package io.jvirt.driver.qemu;

import io.jvirt.api.Capabilities;
import io.jvirt.api.InterfaceAddresses;
import io.jvirt.api.JobInfo;
import io.jvirt.api.ShutdownMode;
import io.jvirt.api.Version;
import io.jvirt.api.VirtException;
import io.jvirt.api.qemu.QemuDomain;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.qemu.caps.QemuCaps;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DomainObjList;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.spi.event.EventSink;
import io.jvirt.spi.job.AsyncJobKind;
import io.jvirt.spi.job.Job;
import io.jvirt.spi.job.JobKind;

import java.nio.file.Path;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One connection to a QEMU host: the operations table over the shared {@link QemuHost}. Also the
 * QEMU-specific extras: {@code dom.unwrap(QemuDomain.class)} for QMP passthrough (see {@link #qemuMonitorCommand}).
 */
public final class QemuDriver implements HypervisorDriver {
    private final QemuHost host;
    private final EventSink events;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    QemuDriver(QemuHost host, EventSink events, Runnable release) {
        this.host = host;
        this.events = events;
        this.release = release;
        host.addSink(events);
    }

    @Override
    public String name() {
        return "QEMU";
    }

    @Override
    public String uri() {
        return host.config().uri();
    }

    @Override
    public Version hypervisorVersion() {
        QemuCaps caps = host.caps(host.config().command().defaultEmulator());
        return new Version(caps.versionMajor(), caps.versionMinor(), caps.versionMicro());
    }

    @Override
    public Capabilities capabilities() {
        return host.capabilities();
    }

    @Override
    public DomainObjList domains() {
        return host.domains();
    }

    @Override
    public DomainObj define(DomainDef def) {
        return host.define(def);
    }

    @Override
    public DomainObj create(DomainDef def) {
        return host.lifecycle().create(def);
    }

    @Override
    public void undefine(DomainObj dom) {
        host.undefine(dom);
    }

    @Override
    public void start(DomainObj dom) {
        host.lifecycle().start(dom);
    }

    @Override
    public void shutdown(DomainObj dom, ShutdownMode mode) {
        host.guest().shutdown(dom, mode);
    }

    @Override
    public void destroy(DomainObj dom) {
        host.lifecycle().destroy(dom);
    }

    @Override
    public void reboot(DomainObj dom, ShutdownMode mode) {
        host.guest().reboot(dom, mode);
    }

    @Override
    public void suspend(DomainObj dom) {
        host.lifecycle().suspend(dom);
    }

    @Override
    public void resume(DomainObj dom) {
        host.lifecycle().resume(dom);
    }

    @Override
    public void setAutostart(DomainObj dom, boolean autostart) {
        host.setAutostart(dom, autostart);
    }

    /** The running async job (save, restore) with its progress, or the last one that ended. */
    @Override
    public JobInfo jobInfo(DomainObj dom) {
        try (var l = dom.locked()) {
            return dom.jobs().info();
        }
    }

    /** Cancels the running async job; a save's migration is cancelled with {@code migrate_cancel}. */
    @Override
    public void abortJob(DomainObj dom) {
        try (var l = dom.locked(); Job job = dom.jobs().begin(JobKind.ABORT, "abortJob")) {
            AsyncJobKind kind = dom.jobs().abortAsync("abortJob");
            if (kind == AsyncJobKind.SAVE) {
                host.save().cancelMigration(dom, job);
            }
        }
    }

    @Override
    public void save(DomainObj dom, Path file) {
        host.save().save(dom, file);
    }

    @Override
    public DomainObj restore(Path file) {
        return host.save().restore(file);
    }

    /**
     * Limits the speed of later saves on this host to {@code bytesPerSecond} (0: unlimited; the
     * default comes from {@code -Djvirt.qemu.saveBandwidthMiB}).
     */
    public void setSaveBandwidth(long bytesPerSecond) {
        host.save().setBandwidth(bytesPerSecond);
    }

    // ---- guest agent (io.jvirt.driver.qemu.guest.GuestOps: agent jobs, never normal ones) ----

    @Override
    public String agentCommand(DomainObj dom, String json, Duration timeout) {
        return host.guest().agentCommand(dom, json, timeout);
    }

    @Override
    public Instant guestTime(DomainObj dom) {
        return host.guest().time(dom);
    }

    @Override
    public void setGuestTime(DomainObj dom, Instant time) {
        host.guest().setTime(dom, time);
    }

    @Override
    public int fsFreeze(DomainObj dom, List<String> mountpoints) {
        return host.guest().fsFreeze(dom, mountpoints);
    }

    @Override
    public int fsThaw(DomainObj dom, List<String> mountpoints) {
        return host.guest().fsThaw(dom, mountpoints);
    }

    @Override
    public List<InterfaceAddresses> interfaceAddresses(DomainObj dom, InterfaceAddresses.Source source) {
        return host.guest().interfaceAddresses(dom, source);
    }

    @Override
    public Map<String, String> guestInfo(DomainObj dom) {
        return host.guest().guestInfo(dom);
    }

    @Override
    public void setUserPassword(DomainObj dom, String user, String password, boolean encrypted) {
        host.guest().setUserPassword(dom, user, password, encrypted);
    }

    /**
     * QMP passthrough ({@code virsh qemu-monitor-command}): sends {@code json}, a complete QMP
     * command, and returns QEMU's reply as JSON. Marks the domain tainted.
     */
    public String qemuMonitorCommand(DomainObj dom, String json, Duration timeout) {
        return host.lifecycle().monitorCommand(dom, json, timeout);
    }

    @Override
    public <T> T unwrapDomain(DomainObj dom, Class<T> type) {
        if (type == QemuDomain.class) {
            QemuDomain extra = (json, timeout) -> qemuMonitorCommand(dom, json, timeout);
            return type.cast(extra);
        }
        return null;
    }

    /** The host behind this connection (for tests and tools in this module). */
    public QemuHost host() {
        return host;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            host.removeSink(events);
            release.run();
        }
    }
}

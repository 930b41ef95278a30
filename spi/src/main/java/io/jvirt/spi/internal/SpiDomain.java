package io.jvirt.spi.internal;

import io.jvirt.api.BlockCopyOptions;
import io.jvirt.api.BlockJobInfo;
import io.jvirt.api.BlockStats;
import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainInfo;
import io.jvirt.api.DomainSnapshot;
import io.jvirt.api.DomainStatus;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.InterfaceAddresses;
import io.jvirt.api.InterfaceStats;
import io.jvirt.api.JobInfo;
import io.jvirt.api.MigrateOptions;
import io.jvirt.api.ShutdownMode;
import io.jvirt.api.UndefineOption;
import io.jvirt.api.VirtException;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.HypervisorDriver;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * The generic {@link Domain} handle: (connection, uuid, name). Every call resolves the UUID to the
 * driver's current {@link DomainObj} afresh, so a handle never reports a stale id or state, and
 * fails with {@code NO_DOMAIN} once the domain is gone.
 */
public final class SpiDomain implements Domain {
    private final SpiConnection conn;
    private final UUID uuid;
    private final String name;

    SpiDomain(SpiConnection conn, UUID uuid, String name) {
        this.conn = Objects.requireNonNull(conn, "conn");
        this.uuid = Objects.requireNonNull(uuid, "uuid");
        this.name = Objects.requireNonNull(name, "name");
    }

    /** The domain object as of now. */
    DomainObj obj() {
        DomainObj obj = conn.driver().domains().findByUuid(uuid);
        if (obj == null || obj.isRemoved()) {
            throw new VirtException(ErrorCode.NO_DOMAIN, "Domain not found: no domain with matching uuid '" + uuid
                    + "' ('" + name + "')");
        }
        return obj;
    }

    private HypervisorDriver driver() {
        return conn.driver();
    }

    private <T> T read(Function<DomainObj, T> field) {
        DomainObj obj = obj();
        try (var l = obj.locked()) {
            return field.apply(obj);
        }
    }

    @Override
    public Connection connection() {
        return conn;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public UUID uuid() {
        return uuid;
    }

    @Override
    public int id() {
        return read(DomainObj::id);
    }

    @Override
    public DomainStatus state() {
        return read(DomainObj::status);
    }

    @Override
    public DomainInfo info() {
        return driver().info(obj());
    }

    @Override
    public String xml() {
        return xml(false);
    }

    @Override
    public String xml(boolean inactive) {
        return driver().xml(obj(), inactive);
    }

    @Override
    public boolean isActive() {
        return read(DomainObj::isActive);
    }

    @Override
    public boolean isPersistent() {
        return read(DomainObj::isPersistent);
    }

    @Override
    public boolean autostart() {
        return read(DomainObj::isAutostart);
    }

    @Override
    public void setAutostart(boolean autostart) {
        driver().setAutostart(obj(), autostart);
    }

    @Override
    public void start() {
        driver().start(obj());
    }

    @Override
    public void shutdown(ShutdownMode mode) {
        driver().shutdown(obj(), Objects.requireNonNull(mode, "mode"));
    }

    @Override
    public void destroy() {
        driver().destroy(obj());
    }

    @Override
    public void reboot(ShutdownMode mode) {
        driver().reboot(obj(), Objects.requireNonNull(mode, "mode"));
    }

    @Override
    public void suspend() {
        driver().suspend(obj());
    }

    @Override
    public void resume() {
        driver().resume(obj());
    }

    @Override
    public void undefine(UndefineOption... options) {
        Set<UndefineOption> set = EnumSet.noneOf(UndefineOption.class);
        for (UndefineOption o : options) {
            set.add(Objects.requireNonNull(o, "undefine option"));
        }
        driver().undefine(obj(), set);
    }

    @Override
    public JobInfo jobInfo() {
        return driver().jobInfo(obj());
    }

    @Override
    public void abortJob() {
        driver().abortJob(obj());
    }

    @Override
    public Domain migrate(Connection destination, MigrateOptions options) {
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(options, "options");
        // unwrap, so that an application's wrapper around a connection works as a destination too
        SpiConnection dest;
        try {
            dest = destination.isWrapperFor(SpiConnection.class) ? destination.unwrap(SpiConnection.class) : null;
        } catch (RuntimeException e) {
            dest = null;
        }
        if (dest == null) {
            throw new VirtException(ErrorCode.INVALID_ARG, "migration destination " + destination
                    + " is not a connection opened with Virt.open");
        }
        DomainObj migrated = driver().migrate(obj(), dest.driver(), options);
        return dest.handle(migrated);
    }

    @Override
    public void save(Path file) {
        driver().save(obj(), Objects.requireNonNull(file, "file"));
    }

    @Override
    public void managedSave() {
        driver().managedSave(obj());
    }

    @Override
    public boolean hasManagedSave() {
        return driver().hasManagedSave(obj());
    }

    @Override
    public void managedSaveRemove() {
        driver().managedSaveRemove(obj());
    }

    @Override
    public DomainSnapshot createSnapshot(String xml) {
        return new SpiSnapshot(this, driver().createSnapshot(obj(), Objects.requireNonNull(xml, "xml")).name());
    }

    @Override
    public List<DomainSnapshot> listSnapshots() {
        return driver().listSnapshots(obj()).stream().map(s -> (DomainSnapshot) new SpiSnapshot(this, s.name())).toList();
    }

    @Override
    public DomainSnapshot snapshot(String snapshotName) {
        return new SpiSnapshot(this, driver().snapshot(obj(), Objects.requireNonNull(snapshotName, "name")).name());
    }

    @Override
    public void blockCopy(String disk, String destinationXml, BlockCopyOptions options) {
        driver().blockCopy(obj(), disk, destinationXml, options == null ? BlockCopyOptions.defaults() : options);
    }

    @Override
    public BlockJobInfo blockJobInfo(String disk) {
        return driver().blockJobInfo(obj(), disk);
    }

    @Override
    public void blockJobAbort(String disk, boolean pivot) {
        driver().blockJobAbort(obj(), disk, pivot);
    }

    @Override
    public void attachDevice(String xml) {
        driver().attachDevice(obj(), xml);
    }

    @Override
    public void detachDevice(String xml) {
        driver().detachDevice(obj(), xml);
    }

    @Override
    public void updateDevice(String xml) {
        driver().updateDevice(obj(), xml);
    }

    @Override
    public void setMemory(long kib) {
        driver().setMemory(obj(), kib);
    }

    @Override
    public BlockStats blockStats(String disk) {
        return driver().blockStats(obj(), disk);
    }

    @Override
    public InterfaceStats interfaceStats(String device) {
        return driver().interfaceStats(obj(), device);
    }

    @Override
    public Map<String, Long> memoryStats() {
        return driver().memoryStats(obj());
    }

    @Override
    public String agentCommand(String json, Duration timeout) {
        return driver().agentCommand(obj(), json, timeout);
    }

    @Override
    public Instant time() {
        return driver().guestTime(obj());
    }

    @Override
    public void setTime(Instant time) {
        driver().setGuestTime(obj(), time);
    }

    @Override
    public int fsFreeze(List<String> mountpoints) {
        return driver().fsFreeze(obj(), mountpoints == null ? List.of() : mountpoints);
    }

    @Override
    public int fsThaw(List<String> mountpoints) {
        return driver().fsThaw(obj(), mountpoints == null ? List.of() : mountpoints);
    }

    @Override
    public List<InterfaceAddresses> interfaceAddresses(InterfaceAddresses.Source source) {
        return driver().interfaceAddresses(obj(), Objects.requireNonNull(source, "source"));
    }

    @Override
    public Map<String, String> guestInfo() {
        return driver().guestInfo(obj());
    }

    @Override
    public void setUserPassword(String user, String password, boolean encrypted) {
        driver().setUserPassword(obj(), user, password, encrypted);
    }

    @Override
    public <T> T unwrap(Class<T> type) {
        Objects.requireNonNull(type, "type");
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        T extra = driver().unwrapDomain(obj(), type);
        if (extra == null) {
            throw new VirtException(ErrorCode.NO_SUPPORT, "driver '" + driver().name()
                    + "' has no domain extra of type " + type.getName());
        }
        return extra;
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this) || driver().unwrapDomain(obj(), type) != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpiDomain d && d.conn == conn && d.uuid.equals(uuid);
    }

    @Override
    public int hashCode() {
        return uuid.hashCode();
    }

    @Override
    public String toString() {
        return "Domain[" + name + " " + uuid + "]";
    }
}

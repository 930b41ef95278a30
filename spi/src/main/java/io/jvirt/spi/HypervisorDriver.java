package io.jvirt.spi;

import io.jvirt.api.BlockCopyOptions;
import io.jvirt.api.BlockJobInfo;
import io.jvirt.api.BlockStats;
import io.jvirt.api.Capabilities;
import io.jvirt.api.DomainInfo;
import io.jvirt.api.InterfaceAddresses;
import io.jvirt.api.InterfaceStats;
import io.jvirt.api.JobInfo;
import io.jvirt.api.MigrateOptions;
import io.jvirt.api.ShutdownMode;
import io.jvirt.api.Version;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A driver instance's table of operations: what a hypervisor driver implements. The framework
 * turns the public {@link io.jvirt.api.Connection} and {@link io.jvirt.api.Domain} calls into calls
 * here, after resolving the domain handle to its {@link DomainObj} (unlocked) and parsing XML.
 *
 * <p>Every operation a driver lacks keeps its default, which fails with {@code NO_SUPPORT}. Each
 * operation takes the job the job model prescribes (see {@code docs/job-model.md}).
 */
public interface HypervisorDriver extends AutoCloseable {
    /** The driver's name as {@link io.jvirt.api.Connection#driverName()} reports it. */
    String name();

    /** The normalised URI of this instance. */
    String uri();

    /** The hypervisor's version. */
    Version hypervisorVersion();

    /** Host, guests and features. */
    Capabilities capabilities();

    /** The driver's domains. */
    DomainObjList domains();

    /** Defines or redefines a persistent domain (a running transient one becomes persistent). */
    DomainObj define(DomainDef def);

    /** Creates and starts a transient domain. */
    DomainObj create(DomainDef def);

    void undefine(DomainObj dom);

    /**
     * Undefines with options. A driver that keeps snapshots or managed-save images overrides this
     * and refuses ({@code OPERATION_INVALID}) while they exist and the matching option is absent;
     * the default, for drivers that keep neither, ignores the options.
     */
    default void undefine(DomainObj dom, java.util.Set<io.jvirt.api.UndefineOption> options) {
        undefine(dom);
    }

    void start(DomainObj dom);

    void shutdown(DomainObj dom, ShutdownMode mode);

    void destroy(DomainObj dom);

    void reboot(DomainObj dom, ShutdownMode mode);

    void suspend(DomainObj dom);

    void resume(DomainObj dom);

    void setAutostart(DomainObj dom, boolean autostart);

    /** Resource summary; the default reads the domain object without a job. */
    default DomainInfo info(DomainObj dom) {
        try (var l = dom.locked()) {
            DomainDef def = dom.def();
            return new DomainInfo(dom.state(), def.memoryKiB(), def.currentMemoryKiB(), def.vcpus(), 0);
        }
    }

    /** XML description; the default formats the domain object's definition without a job. */
    default String xml(DomainObj dom, boolean inactive) {
        try (var l = dom.locked()) {
            if (inactive || !dom.isActive()) {
                return DomainXml.format(dom.inactiveDef());
            }
            return DomainXml.format(dom.def(), dom.id());
        }
    }

    /** The running or last long job. */
    JobInfo jobInfo(DomainObj dom);

    /** Cancels the running long job. */
    void abortJob(DomainObj dom);

    /** Restores a saved domain. */
    default DomainObj restore(Path file) {
        throw VirtException.noSupport("restore");
    }

    /** Releases the driver's resources. Must not throw. */
    @Override
    void close();

    /** A driver-specific extra for the connection, or null. */
    default <T> T unwrap(Class<T> type) {
        return type.isInstance(this) ? type.cast(this) : null;
    }

    /** A driver-specific extra for one domain, or null. */
    default <T> T unwrapDomain(DomainObj dom, Class<T> type) {
        return null;
    }

    // ---- optional operations ----

    default DomainObj migrate(DomainObj dom, HypervisorDriver destination, MigrateOptions options) {
        throw VirtException.noSupport("migrate");
    }

    default void save(DomainObj dom, Path file) {
        throw VirtException.noSupport("save");
    }

    default void managedSave(DomainObj dom) {
        throw VirtException.noSupport("managedSave");
    }

    default boolean hasManagedSave(DomainObj dom) {
        throw VirtException.noSupport("hasManagedSave");
    }

    default void managedSaveRemove(DomainObj dom) {
        throw VirtException.noSupport("managedSaveRemove");
    }

    default SnapshotData createSnapshot(DomainObj dom, String xml) {
        throw VirtException.noSupport("createSnapshot");
    }

    default List<SnapshotData> listSnapshots(DomainObj dom) {
        throw VirtException.noSupport("listSnapshots");
    }

    default SnapshotData snapshot(DomainObj dom, String name) {
        throw VirtException.noSupport("snapshot");
    }

    default void revertSnapshot(DomainObj dom, String name) {
        throw VirtException.noSupport("revertSnapshot");
    }

    default void deleteSnapshot(DomainObj dom, String name) {
        throw VirtException.noSupport("deleteSnapshot");
    }

    default void blockCopy(DomainObj dom, String disk, String destinationXml, BlockCopyOptions options) {
        throw VirtException.noSupport("blockCopy");
    }

    default BlockJobInfo blockJobInfo(DomainObj dom, String disk) {
        throw VirtException.noSupport("blockJobInfo");
    }

    default void blockJobAbort(DomainObj dom, String disk, boolean pivot) {
        throw VirtException.noSupport("blockJobAbort");
    }

    default void attachDevice(DomainObj dom, String xml) {
        throw VirtException.noSupport("attachDevice");
    }

    default void detachDevice(DomainObj dom, String xml) {
        throw VirtException.noSupport("detachDevice");
    }

    default void updateDevice(DomainObj dom, String xml) {
        throw VirtException.noSupport("updateDevice");
    }

    default void setMemory(DomainObj dom, long kib) {
        throw VirtException.noSupport("setMemory");
    }

    default BlockStats blockStats(DomainObj dom, String disk) {
        throw VirtException.noSupport("blockStats");
    }

    default InterfaceStats interfaceStats(DomainObj dom, String device) {
        throw VirtException.noSupport("interfaceStats");
    }

    default Map<String, Long> memoryStats(DomainObj dom) {
        throw VirtException.noSupport("memoryStats");
    }

    default String agentCommand(DomainObj dom, String json, Duration timeout) {
        throw VirtException.noSupport("agentCommand");
    }

    default Instant guestTime(DomainObj dom) {
        throw VirtException.noSupport("time");
    }

    default void setGuestTime(DomainObj dom, Instant time) {
        throw VirtException.noSupport("setTime");
    }

    default int fsFreeze(DomainObj dom, List<String> mountpoints) {
        throw VirtException.noSupport("fsFreeze");
    }

    default int fsThaw(DomainObj dom, List<String> mountpoints) {
        throw VirtException.noSupport("fsThaw");
    }

    default List<InterfaceAddresses> interfaceAddresses(DomainObj dom, InterfaceAddresses.Source source) {
        throw VirtException.noSupport("interfaceAddresses");
    }

    default Map<String, String> guestInfo(DomainObj dom) {
        throw VirtException.noSupport("guestInfo");
    }

    default void setUserPassword(DomainObj dom, String user, String password, boolean encrypted) {
        throw VirtException.noSupport("setUserPassword");
    }
}

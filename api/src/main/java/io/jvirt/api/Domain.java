package io.jvirt.api;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A handle on one domain of a connection. The handle names the domain by UUID: it stays valid
 * while the domain exists, reports fresh state on every call (never a stale id), and fails with
 * {@link ErrorCode#NO_DOMAIN} once the domain is gone.
 *
 * <p>Long operations (migrate, save, snapshots, block copy) block the calling thread, as in
 * libvirt; other threads may call {@link #jobInfo()}, {@link #abortJob()} and every query meanwhile.
 * Operations a driver lacks fail with {@link ErrorCode#NO_SUPPORT}.
 */
public interface Domain extends Wrapper {
    /** The connection this handle belongs to. */
    Connection connection();

    /** The domain's name. */
    String name();

    /** The domain's UUID. */
    UUID uuid();

    /** The hypervisor's id while running, or -1 when inactive. */
    int id();

    /** The state with its reason. */
    DomainStatus state();

    /** Resource summary. */
    DomainInfo info();

    /** The live XML description (the inactive one for an inactive domain). */
    String xml();

    /** The XML description; {@code inactive} asks for the persistent definition. */
    String xml(boolean inactive);

    /** Whether the domain runs (or is paused). */
    boolean isActive();

    /** Whether the domain has a persistent definition. */
    boolean isPersistent();

    /** Whether the domain starts with the host. */
    boolean autostart();

    /** Sets the autostart flag of a persistent domain. */
    void setAutostart(boolean autostart);

    /** Starts a defined, inactive domain. */
    void start();

    /** Asks the guest to shut down (returns once asked; the domain stops when the guest is done). */
    default void shutdown() {
        shutdown(ShutdownMode.DEFAULT);
    }

    /** Asks the guest to shut down the given way. */
    void shutdown(ShutdownMode mode);

    /** Stops the domain at once, like pulling the plug. */
    void destroy();

    /** Asks the guest to reboot. */
    default void reboot() {
        reboot(ShutdownMode.DEFAULT);
    }

    /** Asks the guest to reboot the given way. */
    void reboot(ShutdownMode mode);

    /** Pauses the vCPUs. */
    void suspend();

    /** Resumes paused vCPUs. */
    void resume();

    /**
     * Removes the persistent definition; a running domain becomes transient. Refused with
     * {@code OPERATION_INVALID} while the domain has snapshots or a managed-save image, unless
     * {@code options} say to delete them too.
     */
    void undefine(UndefineOption... options);

    /** The running long job, or the last completed one. */
    JobInfo jobInfo();

    /** Cancels the running long job. */
    void abortJob();

    // ---- operations that drivers may lack (NO_SUPPORT) ----

    /** Migrates to {@code destination}, returning the domain there. */
    Domain migrate(Connection destination, MigrateOptions options);

    /** Saves memory state to {@code file} and stops the domain. */
    void save(Path file);

    /** Saves to a driver-managed file; the next start restores from it. */
    void managedSave();

    /** Whether a managed save image exists. */
    boolean hasManagedSave();

    /** Removes the managed save image. */
    void managedSaveRemove();

    /** Creates a snapshot from its XML description ({@code <domainsnapshot>}). */
    DomainSnapshot createSnapshot(String xml);

    /** All snapshots of this domain. */
    List<DomainSnapshot> listSnapshots();

    /** The snapshot named {@code name}. */
    DomainSnapshot snapshot(String name);

    /** Starts copying {@code disk} to the destination described by {@code destinationXml} ({@code <disk>}). */
    void blockCopy(String disk, String destinationXml, BlockCopyOptions options);

    /** The block job on {@code disk}, or null if none runs. */
    BlockJobInfo blockJobInfo(String disk);

    /** Ends the block job on {@code disk}; {@code pivot} switches the guest to the copy. */
    void blockJobAbort(String disk, boolean pivot);

    /** Hot-plugs a device described by its XML. */
    void attachDevice(String xml);

    /** Hot-unplugs a device described by its XML. */
    void detachDevice(String xml);

    /** Changes a device (e.g. a CD-ROM's media). */
    void updateDevice(String xml);

    /** Changes the current memory (balloon) of the domain, in KiB. */
    void setMemory(long kib);

    /** Disk I/O counters for {@code disk}. */
    BlockStats blockStats(String disk);

    /** Interface counters for {@code device}. */
    InterfaceStats interfaceStats(String device);

    /** Memory statistics by libvirt's names ({@code actual}, {@code rss}, …), in KiB. */
    Map<String, Long> memoryStats();

    /** Sends a raw guest-agent command (JSON) and returns the raw reply. */
    String agentCommand(String json, Duration timeout);

    /** The guest's clock, read through the agent. */
    Instant time();

    /** Sets the guest's clock through the agent; {@code null} syncs it from the host. */
    void setTime(Instant time);

    /** Freezes guest file systems (all when {@code mountpoints} is empty); returns how many froze. */
    int fsFreeze(List<String> mountpoints);

    /** Thaws guest file systems; returns how many thawed. */
    int fsThaw(List<String> mountpoints);

    /** The guest's interfaces and addresses. */
    List<InterfaceAddresses> interfaceAddresses(InterfaceAddresses.Source source);

    /** Facts from the guest: {@code os.id}, {@code hostname}, {@code timezone.name}, {@code user.0.name}, … */
    Map<String, String> guestInfo();

    /** Sets a guest user's password through the agent. */
    void setUserPassword(String user, String password, boolean encrypted);
}

package io.jvirt.driver.vz.sdk;

import io.jvirt.api.xml.DomainDef;

import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * A logged-in session with one Virtuozzo host: the part of the SDK the driver needs. Calls that
 * take a UUID use no shared per-VM object and may run concurrently with anything.
 */
public interface SdkSession extends AutoCloseable {
    /**
     * Facts about the host.
     *
     * @param arch      CPU architecture
     * @param cpus      logical CPUs
     * @param memoryKiB memory
     * @param version   product version ({@code "7.0.0"})
     * @param emulated  whether this is the SDK emulator rather than a real host
     * @param address   the address other hosts use to migrate VMs here
     */
    record HostInfo(String arch, int cpus, long memoryKiB, String version, boolean emulated, String address) {
    }

    /** Facts about the host (no wait: learned at login). */
    HostInfo hostInfo();

    /** Lists the host's VMs. */
    SdkJob<List<VmInfo>> listVms();

    /** Reads one VM's configuration and state without its shared handle. */
    SdkJob<VmInfo> vmInfo(UUID uuid);

    /** Registers a new VM; {@code transientVm} VMs are forgotten when they stop. */
    SdkJob<VmInfo> registerVm(DomainDef config, boolean transientVm);

    /** The VM's one shared handle (the same object for the session's life). */
    VmHandle handle(UUID uuid);

    /** Lists a VM's snapshots (no shared handle). */
    SdkJob<List<SnapshotInfo>> listSnapshots(UUID uuid);

    /** Deletes a snapshot; its children move to its parent (no shared handle). */
    SdkJob<Void> deleteSnapshot(UUID uuid, String name);

    /** Deletes a VM's managed-save image (no shared handle). */
    SdkJob<Void> dropManagedSave(UUID uuid);

    /**
     * Subscribes to the host's events; they arrive on the SDK's own thread.
     *
     * @return a handle that unsubscribes when closed
     */
    AutoCloseable subscribe(Consumer<SdkEvent> listener);

    /** A backend-specific extra ({@code SimControl} for the emulator), or null. */
    default <T> T unwrap(Class<T> type) {
        return type.isInstance(this) ? type.cast(this) : null;
    }

    /** Logs out. Never throws. */
    @Override
    void close();
}

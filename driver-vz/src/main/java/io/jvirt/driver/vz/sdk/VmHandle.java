package io.jvirt.driver.vz.sdk;

import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;

import java.util.UUID;

/**
 * The SDK's one handle on one VM. There is exactly one per VM and session, and threads must use it
 * exclusively: from the call that starts an operation until that operation's job is done, no
 * other thread may start another operation on the same handle (the driver's normal job ensures
 * it). {@link SdkJob#cancel()} is the one call allowed meanwhile.
 */
public interface VmHandle {
    /** The VM's UUID. */
    UUID uuid();

    /** Reads the VM's configuration and state through the handle. */
    SdkJob<VmInfo> refresh();

    /** Opens the configuration for editing; pair with {@link #commit(DomainDef)}. */
    SdkJob<Void> beginEdit();

    /** Replaces the configuration opened with {@link #beginEdit()}. */
    SdkJob<Void> commit(DomainDef config);

    /** Starts the VM (resuming from a managed-save image when there is one). */
    SdkJob<Void> start();

    /** Stops the VM at once ({@code kill = true}) or asks the guest to shut down. */
    SdkJob<Void> stop(boolean kill);

    /** Pauses the vCPUs. */
    SdkJob<Void> pause();

    /** Resumes the vCPUs. */
    SdkJob<Void> resume();

    /** Asks the guest to restart. */
    SdkJob<Void> restart();

    /** Resets the VM like a reset button. */
    SdkJob<Void> reset();

    /** Saves memory to disk and stops the VM (managed save). */
    SdkJob<Void> suspendToDisk();

    /** Adds a device to the (running or stopped) VM. */
    SdkJob<Void> attach(Device device);

    /** Removes a device from the VM. */
    SdkJob<Void> detach(Device device);

    /** Changes the current memory of the VM, in KiB. */
    SdkJob<Void> setMemory(long kib);

    /** Sets a guest user's password through the guest tools. */
    SdkJob<Void> setUserPassword(String user, String password, boolean encrypted);

    /** Takes a snapshot (with memory when the VM runs). */
    SdkJob<SnapshotInfo> createSnapshot(String name, String description);

    /** Reverts the VM to a snapshot, configuration and state. */
    SdkJob<Void> revertSnapshot(String name);

    /**
     * Migrates the VM to the host at {@code targetAddress}; on success the VM is removed here and
     * added there (with events on both sides).
     *
     * @param live    keep the guest running while memory is copied
     * @param newName a new name on the target, or null
     */
    SdkJob<Void> migrate(String targetAddress, boolean live, String newName);

    /** Unregisters the VM and deletes its configuration. */
    SdkJob<Void> unregister();

    /** Makes a running VM transient (forgotten when it stops) or persistent again. */
    SdkJob<Void> setTransient(boolean transientVm);

    /** Sets the autostart flag. */
    SdkJob<Void> setAutostart(boolean autostart);
}

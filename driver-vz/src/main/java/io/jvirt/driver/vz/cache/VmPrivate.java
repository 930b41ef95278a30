package io.jvirt.driver.vz.cache;

import io.jvirt.driver.vz.sdk.SdkJob;
import io.jvirt.driver.vz.sdk.VmHandle;
import io.jvirt.driver.vz.sdk.VmState;
import io.jvirt.driver.vz.sdk.VmStats;

import java.util.Map;

/**
 * The vz driver's private data of one domain: the VM's shared SDK handle and the cached facts
 * that group-1 calls read. Fields other than {@link #handle} are guarded by the domain lock.
 */
public final class VmPrivate {
    /** The VM's one shared SDK handle; used only by a thread holding the domain's normal or async job. */
    public final VmHandle handle;
    /** Adapters' SDK stack indexes by MAC address (lower case), from the last refresh. */
    public Map<String, Integer> netIndex = Map.of();
    /** Whether a managed-save image exists. */
    public boolean managedSave;
    /** The last statistics the SDK pushed, or null. */
    public VmStats stats;
    /** The SDK state last applied. */
    public VmState vmState;
    /** The version of the last applied {@link io.jvirt.driver.vz.sdk.VmInfo}. */
    public long version = Long.MIN_VALUE;
    /** The SDK job last started on {@link #handle} (so a caller can wait until the handle is free). */
    public volatile SdkJob<?> handleJob;

    public VmPrivate(VmHandle handle) {
        this.handle = handle;
    }
}

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
    /**
     * Held by the one thread using {@link #handle}, from the start of an SDK operation until its job
     * and the refresh after it are done. Jobs already keep group-2 calls apart; this keeps a destroy
     * (admitted during an async job) off the handle until the cancelled async job has let go. Never
     * the domain lock, never taken with the domain lock held, always taken with a timeout.
     */
    public final java.util.concurrent.locks.ReentrantLock handleLock = new java.util.concurrent.locks.ReentrantLock();
    /** The SDK job last started on {@link #handle}, for messages. */
    public volatile SdkJob<?> handleJob;

    public VmPrivate(VmHandle handle) {
        this.handle = handle;
    }
}

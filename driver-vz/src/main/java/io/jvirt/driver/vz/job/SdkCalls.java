package io.jvirt.driver.vz.job;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.driver.vz.cache.VmPrivate;
import io.jvirt.driver.vz.cache.VzCache;
import io.jvirt.driver.vz.sdk.SdkException;
import io.jvirt.driver.vz.sdk.SdkJob;
import io.jvirt.driver.vz.sdk.SdkSession;
import io.jvirt.driver.vz.sdk.VmHandle;
import io.jvirt.driver.vz.sdk.VmInfo;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.job.AsyncJob;
import io.jvirt.spi.job.AsyncJobKind;
import io.jvirt.spi.job.Job;
import io.jvirt.spi.job.JobKind;
import io.jvirt.spi.job.JobProgress;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The three ways a vz driver call reaches the SDK (see {@code docs/vz-driver.md}):
 * <ol>
 *   <li>group 1 reads the cache only and never comes here;</li>
 *   <li>{@link #group2}/{@link #async}: the VM's shared handle, under a normal (or async) job, the
 *       domain lock dropped while the SDK job runs, the domain re-checked and the cache refreshed
 *       afterwards;</li>
 *   <li>{@link #group3}: no shared handle and no job, only a reference to the domain, the lock
 *       dropped while the SDK job runs.</li>
 * </ol>
 * Every SDK wait is bounded by the SDK timeout and asserts that the caller holds no domain lock.
 */
public final class SdkCalls {
    private final SdkSession session;
    private final VzCache cache;
    private final Duration sdkTimeout;

    public SdkCalls(SdkSession session, VzCache cache, Duration sdkTimeout) {
        this.session = session;
        this.cache = cache;
        this.sdkTimeout = sdkTimeout;
    }

    /** The SDK timeout in force. */
    public Duration sdkTimeout() {
        return sdkTimeout;
    }

    /** Checks on the domain with its lock held, before the SDK is called. */
    @FunctionalInterface
    public interface Check {
        void check(DomainObj dom);
    }

    /**
     * A group-2 call: takes a normal job of {@code kind}, runs {@code check}, then with the lock
     * dropped starts {@code op} on the VM's shared handle, waits for it and re-reads the VM through
     * the handle; re-takes the lock, re-checks the domain and writes what it read into the cache.
     *
     * @param toleratesRemoval whether the VM may leave the host as a result (a transient VM stopping,
     *                         an undefine): then the domain's removal is success, not an error
     */
    public <T> T group2(DomainObj dom, JobKind kind, String api, Check check, Function<VmHandle, SdkJob<T>> op,
                        boolean toleratesRemoval) {
        return group2(dom, kind, api, check, op, toleratesRemoval, null);
    }

    /**
     * {@link #group2(DomainObj, JobKind, String, Check, Function, boolean)}, saying how a VM that
     * stopped and left the host (a transient one) stopped: {@code goneDetail} ({@code "Shutdown"}).
     */
    public <T> T group2(DomainObj dom, JobKind kind, String api, Check check, Function<VmHandle, SdkJob<T>> op,
                        boolean toleratesRemoval, String goneDetail) {
        try (var l = dom.locked(); Job job = dom.jobs().begin(kind, api)) {
            check.check(dom);
            VmPrivate p = VzCache.priv(dom);
            Outcome<T> out = new Outcome<>();
            try {
                job.remote(() -> withHandle(dom, p, () -> {
                    SdkJob<T> j = op.apply(p.handle);
                    p.handleJob = j;
                    out.value = await(dom, j);
                    out.done = true;
                    out.info = refresh(dom, p);
                }));
            } catch (VirtException e) {
                if (!(out.done && toleratesRemoval && dom.isRemoved())) {
                    throw e;
                }
                return out.value;
            }
            if (out.info == null) {
                cache.forget(dom, goneDetail);
            } else {
                cache.apply(dom, out.info);
            }
            return out.value;
        }
    }

    /**
     * A group-2 call run as an async job (snapshot create/revert, migration) so that
     * {@code jobInfo()} reports it and {@code abortJob()} cancels the SDK job. The job's mask admits
     * only queries, abort and destroy: every other group-2 call waits for it.
     *
     * @param onSuccess runs with the lock held after the SDK job succeeded and the cache was refreshed
     */
    public <T> T async(DomainObj dom, AsyncJobKind kind, String api, Check check, Function<VmHandle, SdkJob<T>> op,
                       boolean toleratesRemoval, Consumer<T> onSuccess) {
        try (var l = dom.locked();
             AsyncJob job = dom.jobs().beginAsync(kind, api, AsyncJobKind.DEFAULT_MASK, "starting")) {
            check.check(dom);
            VmPrivate p = VzCache.priv(dom);
            AtomicReference<SdkJob<T>> running = new AtomicReference<>();
            job.onCancel(() -> {
                SdkJob<T> j = running.get();
                if (j != null) {
                    j.cancel();
                }
            });
            Outcome<T> out = new Outcome<>();
            try {
                job.remote(() -> withHandle(dom, p, () -> {
                    SdkJob<T> j = op.apply(p.handle);
                    p.handleJob = j;
                    running.set(j);
                    if (job.isCancelled()) {
                        j.cancel();
                    }
                    job.setPhase("running");
                    out.value = awaitWithProgress(dom, j, job);
                    out.done = true;
                    job.setPhase("finishing");
                    out.info = refresh(dom, p);
                }));
            } catch (VirtException e) {
                if (!(out.done && toleratesRemoval && dom.isRemoved())) {
                    job.fail(e.getMessage());
                    throw e;
                }
            }
            if (!dom.isRemoved()) {
                settle(dom, out.info);
            }
            job.setPhase("completed");
            onSuccess.accept(out.value);
            job.complete();
            return out.value;
        }
    }

    /**
     * A group-3 call: no job and no shared handle; the domain is held by reference while the lock
     * is dropped for the SDK wait, and must still exist afterwards.
     */
    public <T> T group3(DomainObj dom, String api, Function<SdkSession, SdkJob<T>> op) {
        try (var l = dom.locked()) {
            requirePresent(dom);
        }
        T value = await(dom, op.apply(session));
        try (var l = dom.locked()) {
            requirePresent(dom);
        }
        return value;
    }

    /** Waits for an SDK job, never with the domain lock held; cancels it when the wait times out. */
    public <T> T await(DomainObj dom, SdkJob<T> job) {
        if (dom != null && dom.isLockedByCurrentThread()) {
            throw new IllegalStateException("waiting for SDK job '" + job.operation() + "' with the lock of domain '"
                    + dom.name() + "' held");
        }
        try {
            return job.await(sdkTimeout);
        } catch (SdkException e) {
            if (e.kind() == SdkException.Kind.TIMEOUT) {
                job.cancel();
            }
            throw map(e, dom);
        }
    }

    private <T> T awaitWithProgress(DomainObj dom, SdkJob<T> j, AsyncJob job) {
        long deadline = System.nanoTime() + sdkTimeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            try {
                return j.await(Duration.ofNanos(Math.max(0, Math.min(left, Duration.ofMillis(100).toNanos()))));
            } catch (SdkException e) {
                if (e.kind() != SdkException.Kind.TIMEOUT) {
                    throw map(e, dom);
                }
                if (left <= 0) {
                    j.cancel();
                    throw map(new SdkException(SdkException.Kind.TIMEOUT, "SDK job '" + j.operation()
                            + "' did not complete within " + sdkTimeout.toMillis() + " ms; it was cancelled"), dom);
                }
                SdkJob.Progress pr = j.progress();
                job.setProgress(JobProgress.memory(pr.total(), pr.processed()));
            }
        }
    }

    private VmInfo refresh(DomainObj dom, VmPrivate p) {
        SdkJob<VmInfo> r = p.handle.refresh();
        p.handleJob = r;
        try {
            return await(dom, r);
        } catch (VirtException e) {
            if (e.code() == ErrorCode.NO_DOMAIN) {
                return null;
            }
            throw e;
        }
    }

    /** Writes a refreshed copy into the cache, or forgets the domain whose VM has gone. Lock held. */
    private void settle(DomainObj dom, VmInfo info) {
        if (info == null) {
            cache.forget(dom, null);
        } else {
            cache.apply(dom, info);
        }
    }

    /**
     * Runs {@code body} as the only user of the VM's shared handle (domain lock not held). Waits for
     * the handle at most the SDK timeout: only a destroy admitted during an async job can find it
     * busy, until the cancelled job lets go.
     */
    private Void withHandle(DomainObj dom, VmPrivate p, Runnable body) {
        if (dom.isLockedByCurrentThread()) {
            throw new IllegalStateException("taking the SDK handle of domain '" + dom.name() + "' with its lock held");
        }
        boolean got;
        try {
            got = p.handleLock.tryLock(sdkTimeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VirtException(ErrorCode.OPERATION_ABORTED, "interrupted while waiting for the SDK handle of domain '"
                    + dom.name() + "'");
        }
        if (!got) {
            SdkJob<?> holder = p.handleJob;
            throw new VirtException(ErrorCode.OPERATION_TIMEOUT, "the SDK handle of domain '" + dom.name()
                    + "' is still used by SDK job '" + (holder == null ? "?" : holder.operation()) + "' after "
                    + sdkTimeout.toMillis() + " ms");
        }
        try {
            body.run();
            return null;
        } finally {
            p.handleLock.unlock();
        }
    }

    private static void requirePresent(DomainObj dom) {
        if (dom.isRemoved()) {
            throw new VirtException(ErrorCode.NO_DOMAIN, "Domain not found: domain '" + dom.name() + "' was removed");
        }
    }

    /** Maps an SDK failure to the error a caller can act on. */
    public static VirtException map(SdkException e, DomainObj dom) {
        String where = dom == null ? "" : " (domain '" + dom.name() + "')";
        return switch (e.kind()) {
            case TIMEOUT -> new VirtException(ErrorCode.OPERATION_TIMEOUT, e.getMessage() + where, e);
            case CANCELLED -> new VirtException(ErrorCode.OPERATION_ABORTED, "operation aborted: " + e.getMessage() + where, e);
            case NOT_FOUND -> new VirtException(ErrorCode.NO_DOMAIN, "Domain not found: " + e.getMessage(), e);
            case NO_SNAPSHOT -> new VirtException(ErrorCode.NO_DOMAIN_SNAPSHOT, "Domain snapshot not found: " + e.getMessage(), e);
            case NO_DEVICE -> new VirtException(ErrorCode.DEVICE_MISSING, e.getMessage(), e);
            case INVALID_STATE -> new VirtException(ErrorCode.OPERATION_INVALID, "Requested operation is not valid: "
                    + e.getMessage(), e);
            case EXISTS -> new VirtException(ErrorCode.DOMAIN_EXISTS, e.getMessage(), e);
            case DISCONNECTED -> new VirtException(ErrorCode.INVALID_CONN, e.getMessage(), e);
            case FAILED -> new VirtException(ErrorCode.OPERATION_FAILED, e.getMessage() + where, e);
        };
    }

    private static final class Outcome<T> {
        volatile T value;
        volatile boolean done;
        volatile VmInfo info;
    }
}

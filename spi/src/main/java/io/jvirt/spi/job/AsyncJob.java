package io.jvirt.spi.job;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.JobInfo;
import io.jvirt.api.VirtException;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * A held async (long) job. While it runs, normal jobs in its mask may run too; it calls the
 * monitor only inside a nested job ({@link #beginNested()} or {@link #monitor}), and waits for
 * remote peers or sleeps with the domain lock dropped and no nested job held ({@link #remote},
 * {@link #pause}), so that queries and abort get through.
 *
 * <p>It can be cancelled by {@code abortJob()} ({@link DomainJobs#abortAsync}) or by a destroy:
 * its cancel hook ({@link #onCancel}) runs, and its waits wake and fail with the reason. End it with
 * {@link #complete()} on success, then {@link #close()}; a job closed without {@code complete()} is
 * recorded as failed (or cancelled).
 */
public final class AsyncJob implements AutoCloseable, JobCalls {
    final DomainJobs jobs;
    final AsyncJobKind kind;
    final String api;
    final Thread owner;
    final long startNanos;
    final long startMillis;
    /** Guarded by the domain lock. */
    int mask;
    /** Guarded by the domain lock. */
    Runnable cancelHook;
    /** Written under the domain lock. */
    volatile ErrorCode cancelCode;
    volatile String cancelReason;
    volatile String phase;
    volatile JobProgress progress = JobProgress.NONE;
    private boolean completed;
    private String failure;
    private boolean closed;

    AsyncJob(DomainJobs jobs, AsyncJobKind kind, String api, Thread owner, int mask, String phase, long startMillis) {
        this.jobs = jobs;
        this.kind = kind;
        this.api = api;
        this.owner = owner;
        this.mask = mask;
        this.phase = phase;
        this.startMillis = startMillis;
        this.startNanos = System.nanoTime() - Math.max(0, System.currentTimeMillis() - startMillis) * 1_000_000L;
    }

    /** What the job does. */
    public AsyncJobKind kind() {
        return kind;
    }

    /** The API that began it. */
    public String api() {
        return api;
    }

    /** The thread that began it. */
    public Thread owner() {
        return owner;
    }

    /** When it began (wall clock). */
    public Instant started() {
        return Instant.ofEpochMilli(startMillis);
    }

    /** How long it has been running. */
    public Duration elapsed() {
        return Owners.since(startNanos);
    }

    /** The current phase (driver-defined; empty when none). */
    public String phase() {
        return phase;
    }

    /** Sets the phase; the driver persists {@link #state()} afterwards. */
    public void setPhase(String phase) {
        this.phase = Objects.requireNonNull(phase, "phase");
    }

    /** The latest progress counters. */
    public JobProgress progress() {
        return progress;
    }

    /** Publishes new progress counters; may be called with or without the domain lock. */
    public void setProgress(JobProgress progress) {
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /** The normal job kinds admitted now. Lock held. */
    public Set<JobKind> mask() {
        return JobKind.set(mask);
    }

    /**
     * Narrows or widens the mask; {@link AsyncJobKind#ALWAYS_ALLOWED} stay in it. Waiters that the
     * new mask admits are woken. Lock held.
     */
    public void setMask(Set<JobKind> kinds) {
        jobs.requireLocked("change the async job's mask");
        mask = JobKind.bits(kinds) | JobKind.bits(AsyncJobKind.ALWAYS_ALLOWED);
        jobs.asyncCond.signalAll();
    }

    /** Adds kinds to the mask. Lock held. */
    public void allow(JobKind... kinds) {
        setMask(with(Set.of(kinds), true));
    }

    /** Removes kinds from the mask (except the always-allowed ones). Lock held. */
    public void disallow(JobKind... kinds) {
        setMask(with(Set.of(kinds), false));
    }

    private Set<JobKind> with(Set<JobKind> kinds, boolean add) {
        int bits = JobKind.bits(kinds);
        return JobKind.set(add ? mask | bits : mask & ~bits);
    }

    /**
     * Sets what cancels the underlying operation (cancels an SDK request or a future, signals a
     * helper process). It runs once, on the thread that aborts, destroys or calls
     * {@link DomainJobs#failAsync}, with the domain lock dropped and possibly before that thread
     * holds any job: it must be quick, must not wait for a job and must not send monitor commands
     * ({@link MonitorGuard} refuses them). A driver whose cancel is a monitor command (QEMU's
     * {@code migrate_cancel}) sends it from {@code abortJob} under its ABORT job with
     * {@link Job#monitor}. Lock held.
     */
    public void onCancel(Runnable hook) {
        jobs.requireLocked("set the cancel hook");
        this.cancelHook = hook;
    }

    /** Whether abort or destroy cancelled this job. */
    public boolean isCancelled() {
        return cancelCode != null;
    }

    /** Throws the cancellation error if the job was cancelled. */
    public void checkCancelled() {
        ErrorCode code = cancelCode;
        if (code != null) {
            throw new VirtException(code, cancelReason);
        }
    }

    /**
     * Fails unless this is still the domain's async job and not cancelled: {@code OPERATION_INVALID
     * "domain is not running"} when the domain stopped, the cancellation error when cancelled.
     */
    void requireCurrent() {
        if (jobs.async != this) {
            if (!jobs.dom.isActive()) {
                throw VirtException.invalid("domain is not running");
            }
            throw VirtException.invalid("the " + kind.operation() + " job (" + api + ") is no longer running");
        }
        checkCancelled();
    }

    /**
     * Begins the nested job this async job needs around its own monitor calls. It waits for the
     * normal job in progress (not for the mask) and fails if this job was cancelled or ended.
     */
    public Job beginNested() {
        return jobs.beginNested(this);
    }

    /** Calls the monitor inside a nested job: {@code beginNested()} + {@link Job#monitor} + close. */
    @Override
    public <T, E extends Exception> T monitor(Call<T, E> call) throws E {
        try (Job nested = beginNested()) {
            return nested.monitor(call);
        }
    }

    /**
     * Waits on a migration peer, an SDK or anything outside the domain with the domain lock dropped
     * and no nested job held, so that allowed jobs run meanwhile. Afterwards checks that the domain
     * exists and that this job is still current and not cancelled.
     */
    @Override
    public <T, E extends Exception> T remote(Call<T, E> call) throws E {
        jobs.requireLocked("make a remote call");
        Job held = jobs.active;
        if (held != null && held.owner == Thread.currentThread()) {
            throw new IllegalStateException("remote call of " + describe() + " while holding " + held.describe()
                    + ": end the nested job first, other jobs must run meanwhile");
        }
        requireCurrent();
        int holds = jobs.releaseAll();
        T result;
        try {
            result = call.call();
        } finally {
            jobs.reacquire(holds);
        }
        if (jobs.dom.isRemoved()) {
            throw jobs.removed();
        }
        requireCurrent();
        return result;
    }


    /**
     * Sleeps up to {@code d} with the domain lock dropped (e.g. between progress polls), waking at
     * once if the job is cancelled. Lock held.
     *
     * @throws VirtException the cancellation error, or {@code OPERATION_INVALID} if the domain stopped
     */
    public void pause(Duration d) {
        jobs.requireLocked("pause");
        requireCurrent();
        long deadline = System.nanoTime() + d.toNanos();
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            try {
                jobs.asyncCond.awaitNanos(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VirtException(ErrorCode.OPERATION_ABORTED, "interrupted during the " + kind.operation() + " job");
            }
            if (jobs.dom.isRemoved()) {
                throw jobs.removed();
            }
            requireCurrent();
        }
    }

    /** Marks the job successful; {@link #close()} then records it as completed. */
    public void complete() {
        completed = true;
    }

    /** Records why the job failed (shown by {@code jobInfo()} after it ends). */
    public void fail(String message) {
        failure = message;
    }

    /** The persistent state, for the domain's status file. Lock held (for the mask). */
    public JobState state() {
        return new JobState(kind, phase, api, started(), JobKind.set(mask));
    }

    /** Ends the job, records its outcome for {@code jobInfo()}, and wakes waiters. */
    @Override
    public void close() {
        jobs.lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            JobInfo.Type type;
            String message;
            if (completed && cancelCode == null) {
                type = JobInfo.Type.COMPLETED;
                message = "";
            } else if (cancelCode == ErrorCode.OPERATION_ABORTED) {
                type = JobInfo.Type.CANCELLED;
                message = cancelReason;
            } else {
                type = JobInfo.Type.FAILED;
                message = cancelReason != null ? cancelReason : failure != null ? failure : "job ended without completing";
            }
            jobs.endAsync(this, info(type, message));
        } finally {
            jobs.lock.unlock();
        }
    }

    JobInfo info(JobInfo.Type type, String error) {
        JobProgress p = progress;
        String who = "api=" + api + " thread=" + Owners.thread(owner) + " since "
                + Owners.instant(startMillis);
        return new JobInfo(type, kind.operation(), phase, who, elapsed(),
                p.dataTotal(), p.dataProcessed(), p.dataRemaining(),
                p.memTotal(), p.memProcessed(), p.memRemaining(),
                p.diskTotal(), p.diskProcessed(), p.diskRemaining(), error);
    }

    String describe() {
        return "async job " + kind + " (" + api + ")";
    }

    @Override
    public String toString() {
        return describe() + " on " + jobs.dom.name();
    }
}

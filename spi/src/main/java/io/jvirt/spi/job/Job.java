package io.jvirt.spi.job;

import io.jvirt.api.VirtException;

import java.time.Duration;

/**
 * A held normal (or nested) job. Close it to end the job; closing twice does nothing.
 *
 * <p>Work that waits (a monitor command, a remote call, an SDK wait) runs through
 * {@link #monitor}, {@link #enterMonitor()} or {@link #remote}: they drop the domain lock around the
 * work, re-take it, and re-check that the domain still exists (and, for monitor calls, still runs)
 * and, for a nested job, that its async job is still the one that began it.
 */
public final class Job implements AutoCloseable, JobCalls {
    final DomainJobs jobs;
    final JobKind kind;
    final String api;
    final Thread owner;
    final long startNanos;
    final AsyncJob parent;
    /** Written by the owner only; read by {@link MonitorGuard} on the owner's thread. */
    boolean inMonitor;
    private boolean closed;

    Job(DomainJobs jobs, JobKind kind, String api, Thread owner, AsyncJob parent) {
        this.jobs = jobs;
        this.kind = kind;
        this.api = api;
        this.owner = owner;
        this.parent = parent;
        this.startNanos = System.nanoTime();
    }

    /** What the job does. */
    public JobKind kind() {
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

    /** How long it has been held. */
    public Duration elapsed() {
        return Owners.since(startNanos);
    }

    /** The async job this nested job belongs to, or null for a plain normal job. */
    public AsyncJob parent() {
        return parent;
    }

    /**
     * Calls the monitor with the domain lock dropped. Requires the domain to be running before the
     * call; after it, fails with {@code NO_DOMAIN} if the domain was removed, {@code OPERATION_INVALID
     * "domain is not running"} if it stopped, or the async job's error if it ended or was cancelled.
     * If the call itself throws, that exception propagates (the lock is re-taken first).
     */
    @Override
    public <T, E extends Exception> T monitor(Call<T, E> call) throws E {
        enter(true, "call the monitor");
        inMonitor = true;
        int holds = jobs.releaseAll();
        T result;
        try {
            result = call.call();
        } finally {
            jobs.reacquire(holds);
            inMonitor = false;
        }
        check(true);
        return result;
    }


    /**
     * Drops the domain lock for monitor work until the returned scope closes; closing re-takes the
     * lock and re-checks as {@link #monitor(Call)} does. Requires the domain to be running.
     */
    public MonitorScope enterMonitor() {
        enter(true, "enter the monitor");
        return open(true);
    }

    /**
     * {@link #enterMonitor()} for a domain that is being started and is not marked running yet: it
     * skips the "running" checks and still checks removal and the async job.
     */
    public MonitorScope enterMonitorDuringStart() {
        enter(false, "enter the monitor");
        return open(false);
    }

    private MonitorScope open(boolean requireActive) {
        inMonitor = true;
        return new MonitorScope(this, jobs.releaseAll(), requireActive);
    }

    /**
     * Waits on something outside the domain (a migration peer, an SDK call) with the domain lock
     * dropped; afterwards checks that the domain still exists and, for a nested job, its async job.
     */
    @Override
    public <T, E extends Exception> T remote(Call<T, E> call) throws E {
        enter(false, "make a remote call");
        int holds = jobs.releaseAll();
        T result;
        try {
            result = call.call();
        } finally {
            jobs.reacquire(holds);
        }
        check(false);
        return result;
    }


    private void enter(boolean requireActive, String what) {
        jobs.requireLocked(what);
        if (closed || jobs.active != this) {
            throw new IllegalStateException("cannot " + what + ": " + describe() + " has ended");
        }
        if (owner != Thread.currentThread()) {
            throw new IllegalStateException("cannot " + what + ": " + describe() + " belongs to thread "
                    + Owners.thread(owner));
        }
        if (inMonitor) {
            throw new IllegalStateException("cannot " + what + ": already inside the monitor");
        }
        check(requireActive);
    }

    /** The re-check after the lock was dropped. */
    void check(boolean requireActive) {
        if (jobs.dom.isRemoved()) {
            throw jobs.removed();
        }
        if (parent != null) {
            parent.requireCurrent();
        }
        if (requireActive && !jobs.dom.isActive()) {
            throw VirtException.invalid("domain is not running");
        }
    }

    /** Ends the job and wakes whoever waits for it. */
    @Override
    public void close() {
        jobs.lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            jobs.endNormal(this);
        } finally {
            jobs.lock.unlock();
        }
    }

    String describe() {
        return parent != null ? "nested job of " + parent.describe() : "job " + kind + " (" + api + ")";
    }

    @Override
    public String toString() {
        return describe() + " on " + jobs.dom.name();
    }
}

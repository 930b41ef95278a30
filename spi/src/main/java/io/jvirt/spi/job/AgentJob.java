package io.jvirt.spi.job;

import io.jvirt.api.VirtException;

import java.time.Duration;

/**
 * A held agent job: the right to talk to the guest agent. Never held together with a normal job
 * by one caller. Close it to end the job.
 */
public final class AgentJob implements AutoCloseable {
    final DomainJobs jobs;
    final AgentJobKind kind;
    final String api;
    final Thread owner;
    final long startNanos;
    /** Written by the owner only; read by {@link MonitorGuard} on the owner's thread. */
    boolean inAgent;
    private boolean closed;

    AgentJob(DomainJobs jobs, AgentJobKind kind, String api, Thread owner) {
        this.jobs = jobs;
        this.kind = kind;
        this.api = api;
        this.owner = owner;
        this.startNanos = System.nanoTime();
    }

    /** What the job does. */
    public AgentJobKind kind() {
        return kind;
    }

    /** The API that began it. */
    public String api() {
        return api;
    }

    /** How long it has been held. */
    public Duration elapsed() {
        return Owners.since(startNanos);
    }

    /**
     * Calls the guest agent with the domain lock dropped. Requires the domain to be running before;
     * after, fails with {@code NO_DOMAIN} if it was removed or {@code OPERATION_INVALID} if it stopped.
     */
    public <T, E extends Exception> T agent(Call<T, E> call) throws E {
        jobs.requireLocked("call the guest agent");
        if (closed || jobs.agent != this || owner != Thread.currentThread()) {
            throw new IllegalStateException("cannot call the guest agent: " + describe()
                    + " has ended or belongs to another thread");
        }
        if (inAgent) {
            throw new IllegalStateException("cannot call the guest agent: already inside an agent call");
        }
        check();
        inAgent = true;
        int holds = jobs.releaseAll();
        T result;
        try {
            result = call.call();
        } finally {
            jobs.reacquire(holds);
            inAgent = false;
        }
        check();
        return result;
    }

    /** {@link #agent(Call)} for a call without a result. */
    public <E extends Exception> void agentVoid(Action<E> action) throws E {
        agent(() -> {
            action.run();
            return null;
        });
    }

    private void check() {
        if (jobs.dom.isRemoved()) {
            throw jobs.removed();
        }
        if (!jobs.dom.isActive()) {
            throw VirtException.invalid("domain is not running");
        }
    }

    /** Ends the agent job. */
    @Override
    public void close() {
        jobs.lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            jobs.endAgent(this);
        } finally {
            jobs.lock.unlock();
        }
    }

    String describe() {
        return "agent job " + kind + " (" + api + ")";
    }

    @Override
    public String toString() {
        return describe() + " on " + jobs.dom.name();
    }
}

package io.jvirt.spi.job;

import io.jvirt.spi.DomainObj;

/**
 * Checks that monitor and agent clients call at the start of every command, so that a command
 * sent without a job, or with the domain lock held, fails loudly instead of racing.
 */
public final class MonitorGuard {
    private MonitorGuard() {
    }

    /**
     * Fails unless the current thread holds the normal (or nested) job of {@code dom}, is inside
     * {@link Job#monitor} / {@link Job#enterMonitor()}, and does not hold the domain lock.
     *
     * @throws IllegalStateException naming what is wrong
     */
    public static void requireJob(DomainObj dom) {
        if (dom.isLockedByCurrentThread()) {
            throw new IllegalStateException("monitor command on domain '" + dom.name()
                    + "' with the domain lock held: call it inside job.monitor(...)");
        }
        Job job = dom.jobs().active;
        if (job == null || job.owner != Thread.currentThread()) {
            throw new IllegalStateException("monitor command on domain '" + dom.name()
                    + "' without a job held by this thread: begin a job and call it inside job.monitor(...)");
        }
        if (!job.inMonitor) {
            throw new IllegalStateException("monitor command on domain '" + dom.name()
                    + "' outside job.monitor(...) / job.enterMonitor()");
        }
    }

    /**
     * Fails unless the current thread holds the agent job of {@code dom}, is inside
     * {@link AgentJob#agent}, and does not hold the domain lock.
     *
     * @throws IllegalStateException naming what is wrong
     */
    public static void requireAgentJob(DomainObj dom) {
        if (dom.isLockedByCurrentThread()) {
            throw new IllegalStateException("guest agent command on domain '" + dom.name()
                    + "' with the domain lock held: call it inside agentJob.agent(...)");
        }
        AgentJob job = dom.jobs().agent;
        if (job == null || job.owner != Thread.currentThread() || !job.inAgent) {
            throw new IllegalStateException("guest agent command on domain '" + dom.name()
                    + "' without an agent job held by this thread: call it inside agentJob.agent(...)");
        }
    }
}

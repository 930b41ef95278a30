package io.jvirt.spi.job;

/**
 * The span of monitor work with the domain lock dropped, from {@link Job#enterMonitor()}. Closing
 * it re-takes the lock and re-checks the domain; it then throws if the domain went away.
 */
public final class MonitorScope implements AutoCloseable {
    private final Job job;
    private final int holds;
    private final boolean requireActive;
    private boolean closed;

    MonitorScope(Job job, int holds, boolean requireActive) {
        this.job = job;
        this.holds = holds;
        this.requireActive = requireActive;
    }

    /** Re-takes the domain lock, then checks the domain (and the async job of a nested job). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        job.jobs.reacquire(holds);
        job.inMonitor = false;
        job.check(requireActive);
    }
}

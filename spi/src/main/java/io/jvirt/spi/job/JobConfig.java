package io.jvirt.spi.job;

import java.time.Duration;
import java.util.Objects;

/**
 * A driver's job settings.
 *
 * @param waitTimeout       how long a caller waits for a job before failing with
 *                          {@code OPERATION_TIMEOUT} (default 30 s)
 * @param maxQueuedWaiters  how many callers may wait for jobs on one domain before further ones fail
 *                          fast with {@code OPERATION_FAILED}; 0 means unlimited. Async, nested and
 *                          destroy jobs are exempt.
 * @param monitorTimeout    how long a monitor (or agent) command may take before its caller fails;
 *                          the job model does not enforce it itself, monitor clients read it from here
 */
public record JobConfig(Duration waitTimeout, int maxQueuedWaiters, Duration monitorTimeout) {

    /** 30 s waits, no waiter limit, 30 s monitor commands. */
    public static final JobConfig DEFAULTS = new JobConfig(Duration.ofSeconds(30), 0, Duration.ofSeconds(30));

    public JobConfig {
        Objects.requireNonNull(waitTimeout, "waitTimeout");
        Objects.requireNonNull(monitorTimeout, "monitorTimeout");
        if (waitTimeout.isNegative() || waitTimeout.isZero()) {
            throw new IllegalArgumentException("waitTimeout must be positive, got " + waitTimeout);
        }
        if (monitorTimeout.isNegative() || monitorTimeout.isZero()) {
            throw new IllegalArgumentException("monitorTimeout must be positive, got " + monitorTimeout);
        }
        if (maxQueuedWaiters < 0) {
            throw new IllegalArgumentException("maxQueuedWaiters must be >= 0 (0 = unlimited), got " + maxQueuedWaiters);
        }
    }

    /** A copy with another wait timeout. */
    public JobConfig withWaitTimeout(Duration d) {
        return new JobConfig(d, maxQueuedWaiters, monitorTimeout);
    }

    /** A copy with another waiter limit. */
    public JobConfig withMaxQueuedWaiters(int n) {
        return new JobConfig(waitTimeout, n, monitorTimeout);
    }

    /** A copy with another monitor timeout. */
    public JobConfig withMonitorTimeout(Duration d) {
        return new JobConfig(waitTimeout, maxQueuedWaiters, d);
    }
}

package io.jvirt.spi.job;

import java.util.EnumSet;
import java.util.Set;

/**
 * The kinds of normal (synchronous) jobs. At most one normal job runs on a domain at a time; while
 * an async job runs, a normal job is admitted only if its kind is in the async job's allowed mask.
 */
public enum JobKind {
    /** Reads domain state through the monitor (stats, block info); never changes it. */
    QUERY,
    /** Stops the domain by force. Admitted during every async job. */
    DESTROY,
    /** Pauses the guest's CPUs. */
    SUSPEND,
    /** Any other change of domain state. */
    MODIFY,
    /** Cancels the running async job ({@code abortJob}). */
    ABORT,
    /** Changes a migration's parameters while it runs (speed, downtime, ...). */
    MIGRATION_OP,
    /** A change that is safe while the domain migrates (e.g. a metadata or tunable update). */
    MODIFY_MIGRATION_SAFE,
    /**
     * The job an async job takes around its own monitor calls ({@link AsyncJob#beginNested()}).
     * It skips the mask check but waits for the normal job in progress. Never begun directly.
     */
    NESTED;

    final int bit = 1 << ordinal();

    /** The bit mask of a set of kinds. */
    static int bits(Set<JobKind> kinds) {
        int m = 0;
        for (JobKind k : kinds) {
            m |= k.bit;
        }
        return m;
    }

    /** The kinds in a bit mask. */
    static Set<JobKind> set(int bits) {
        EnumSet<JobKind> out = EnumSet.noneOf(JobKind.class);
        for (JobKind k : values()) {
            if ((bits & k.bit) != 0) {
                out.add(k);
            }
        }
        return out;
    }
}

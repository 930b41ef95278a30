package io.jvirt.spi.job;

import java.util.EnumSet;
import java.util.Set;

/**
 * The kinds of async (long) jobs. At most one runs per domain; while it runs, normal jobs whose
 * kind is in its allowed mask may run too (each serialised with the async job's own monitor calls
 * through nested jobs).
 */
public enum AsyncJobKind {
    /** Outgoing migration: adds SUSPEND, MIGRATION_OP and MODIFY_MIGRATION_SAFE to the default. */
    MIGRATION_OUT("migration out", JobKind.SUSPEND, JobKind.MIGRATION_OP, JobKind.MODIFY_MIGRATION_SAFE),
    /** Incoming migration: adds only MODIFY_MIGRATION_SAFE to the default. */
    MIGRATION_IN("migration in", JobKind.MODIFY_MIGRATION_SAFE),
    /** Saving memory to a file: the default mask. */
    SAVE("save"),
    /** Restoring from a saved file: the default mask. */
    RESTORE("restore"),
    /** Dumping guest memory: the default mask. */
    DUMP("dump"),
    /** A memory snapshot: adds SUSPEND and MIGRATION_OP. A disk-only snapshot may narrow it. */
    SNAPSHOT("snapshot", JobKind.SUSPEND, JobKind.MIGRATION_OP),
    /** Starting the domain: the default mask. */
    START("start"),
    /** A backup: adds SUSPEND and MODIFY. */
    BACKUP("backup", JobKind.SUSPEND, JobKind.MODIFY);

    /** What every async job admits: queries, destroy and abort. */
    public static final Set<JobKind> DEFAULT_MASK = Set.copyOf(EnumSet.of(JobKind.QUERY, JobKind.DESTROY, JobKind.ABORT));

    /** What no mask can take away: queries and destroy. */
    public static final Set<JobKind> ALWAYS_ALLOWED = Set.copyOf(EnumSet.of(JobKind.QUERY, JobKind.DESTROY));

    private final String operation;
    private final int defaultBits;

    AsyncJobKind(String operation, JobKind... extra) {
        this.operation = operation;
        int m = JobKind.QUERY.bit | JobKind.DESTROY.bit | JobKind.ABORT.bit;
        for (JobKind k : extra) {
            m |= k.bit;
        }
        this.defaultBits = m;
    }

    /** The operation's name as {@code jobInfo()} shows it ({@code "migration out"}, {@code "save"}). */
    public String operation() {
        return operation;
    }

    /** The normal job kinds admitted while this async job runs, unless it changes its mask. */
    public Set<JobKind> defaultMask() {
        return JobKind.set(defaultBits);
    }

    int defaultBits() {
        return defaultBits;
    }
}

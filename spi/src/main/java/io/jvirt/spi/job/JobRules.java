package io.jvirt.spi.job;

/**
 * The admission rules of the job model as pure functions of the job state, used by
 * {@link DomainJobs} and checked exhaustively by the model-check test. Each returns what the
 * request must wait for, or {@link Block#NONE} when it is admitted now.
 */
final class JobRules {
    private JobRules() {
    }

    /** What a request waits for. */
    enum Block {
        /** Admitted. */
        NONE,
        /** The running async job's mask excludes the kind: wait for the async job (or a wider mask). */
        ASYNC_MASK,
        /** Another async job runs: wait for it to end. */
        ASYNC_JOB,
        /** A normal (or nested) job is held: wait for it to end. */
        NORMAL_JOB,
        /** An agent job is held: wait for it to end. */
        AGENT_JOB
    }

    /** A normal job of {@code kind}: the async job's mask first, then the normal job in progress. */
    static Block normal(JobKind kind, boolean asyncRunning, int asyncMask, boolean normalHeld) {
        if (asyncRunning && (asyncMask & kind.bit) == 0) {
            return Block.ASYNC_MASK;
        }
        return normalHeld ? Block.NORMAL_JOB : Block.NONE;
    }

    /** A nested job of the running async job: skips the mask, waits only for the normal job. */
    static Block nested(boolean normalHeld) {
        return normalHeld ? Block.NORMAL_JOB : Block.NONE;
    }

    /** An async job: waits for the running async job, then for the normal job in progress. */
    static Block async(boolean asyncRunning, boolean normalHeld) {
        if (asyncRunning) {
            return Block.ASYNC_JOB;
        }
        return normalHeld ? Block.NORMAL_JOB : Block.NONE;
    }

    /** An agent job: waits only for the agent job in progress. */
    static Block agent(boolean agentHeld) {
        return agentHeld ? Block.AGENT_JOB : Block.NONE;
    }
}

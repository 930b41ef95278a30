package io.jvirt.driver.vz.sdk;

import java.time.Duration;

/**
 * An asynchronous SDK operation. Every SDK call returns one at once; the caller waits for its
 * result with {@link #await(Duration)}, always with a bound, and never while holding a domain lock.
 *
 * @param <T> the result type
 */
public interface SdkJob<T> {
    /** The operation's name ({@code migrate}, {@code suspend}, …), for messages. */
    String operation();

    /**
     * Waits at most {@code timeout} for the result.
     *
     * @throws SdkException {@code TIMEOUT} when the job is still running at the deadline (the job
     *                      keeps running: cancel it if the caller gives up), or the job's own failure
     */
    T await(Duration timeout);

    /** Asks the host to cancel the job; a no-op once it finished. The job then fails with {@code CANCELLED}. */
    void cancel();

    /** Whether the job finished (successfully or not). */
    boolean isDone();

    /** How far the job got. */
    Progress progress();

    /**
     * A job's progress.
     *
     * @param phase     the current step, free-form ({@code "copying memory"})
     * @param total     units of work in all (bytes), 0 when unknown
     * @param processed units done
     */
    record Progress(String phase, long total, long processed) {
        /** No progress reported. */
        public static final Progress NONE = new Progress("", 0, 0);

        /** Units left. */
        public long remaining() {
            return Math.max(0, total - processed);
        }
    }
}

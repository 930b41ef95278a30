package io.jvirt.spi.job;

/**
 * Progress counters of an async job, in bytes. An async job publishes a new value with
 * {@link AsyncJob#setProgress(JobProgress)}; readers never wait for it.
 *
 * @param dataTotal     bytes to process in all (0 when unknown)
 * @param dataProcessed bytes processed
 * @param dataRemaining bytes left
 * @param memTotal      memory bytes in all
 * @param memProcessed  memory bytes processed
 * @param memRemaining  memory bytes left
 * @param diskTotal     disk bytes in all
 * @param diskProcessed disk bytes processed
 * @param diskRemaining disk bytes left
 */
public record JobProgress(long dataTotal, long dataProcessed, long dataRemaining,
                          long memTotal, long memProcessed, long memRemaining,
                          long diskTotal, long diskProcessed, long diskRemaining) {

    /** No progress known. */
    public static final JobProgress NONE = new JobProgress(0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** Memory-only progress (save, dump, memory migration): data counters equal memory counters. */
    public static JobProgress memory(long total, long processed) {
        long left = Math.max(0, total - processed);
        return new JobProgress(total, processed, left, total, processed, left, 0, 0, 0);
    }

    /** Memory and disk progress; the data counters are their sums. */
    public static JobProgress of(long memTotal, long memProcessed, long diskTotal, long diskProcessed) {
        long memLeft = Math.max(0, memTotal - memProcessed);
        long diskLeft = Math.max(0, diskTotal - diskProcessed);
        return new JobProgress(memTotal + diskTotal, memProcessed + diskProcessed, memLeft + diskLeft,
                memTotal, memProcessed, memLeft, diskTotal, diskProcessed, diskLeft);
    }
}

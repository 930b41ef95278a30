package io.jvirt.bench;

import java.util.Arrays;

/**
 * Latency samples in nanoseconds with percentile helpers, for scenarios that time one operation
 * many times.
 */
public final class Samples {
    private final long[] nanos;
    private int size;

    /** Room for {@code capacity} samples. */
    public Samples(int capacity) {
        nanos = new long[capacity];
    }

    /** Records one duration. */
    public void add(long durationNanos) {
        if (size == nanos.length) {
            throw new IllegalStateException("more than " + nanos.length + " samples");
        }
        nanos[size++] = durationNanos;
    }

    /** How many samples were recorded. */
    public int size() {
        return size;
    }

    /** The {@code p}-th percentile (0..100, nearest rank), in nanoseconds. */
    public long percentileNanos(double p) {
        if (size == 0) {
            throw new IllegalStateException("no samples");
        }
        long[] sorted = Arrays.copyOf(nanos, size);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * size);
        return sorted[Math.clamp(rank - 1, 0, size - 1)];
    }

    /** The {@code rank}-th smallest sample (1-based), in milliseconds. */
    public double rankMillis(int rank) {
        if (rank < 1 || rank > size) {
            throw new IllegalArgumentException("rank " + rank + " outside 1.." + size);
        }
        long[] sorted = Arrays.copyOf(nanos, size);
        Arrays.sort(sorted);
        return sorted[rank - 1] / 1_000_000.0;
    }

    /** The {@code p}-th percentile in microseconds. */
    public double percentileMicros(double p) {
        return percentileNanos(p) / 1_000.0;
    }

    /** The {@code p}-th percentile in milliseconds. */
    public double percentileMillis(double p) {
        return percentileNanos(p) / 1_000_000.0;
    }

    /** Reports p50 and p95 of these samples as {@code NAME.p50} and {@code NAME.p95} in microseconds. */
    public void reportMicros(Report report, String name) {
        report.figure(name + ".p50", percentileMicros(50), "us");
        report.figure(name + ".p95", percentileMicros(95), "us");
    }

    /** Reports p50 and p95 of these samples as {@code NAME.p50} and {@code NAME.p95} in milliseconds. */
    public void reportMillis(Report report, String name) {
        report.figure(name + ".p50", percentileMillis(50), "ms");
        report.figure(name + ".p95", percentileMillis(95), "ms");
    }
}

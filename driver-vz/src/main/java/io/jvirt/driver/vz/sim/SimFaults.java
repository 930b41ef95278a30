package io.jvirt.driver.vz.sim;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/** Per-operation latencies, failures and hangs of the emulator. Thread-safe. */
final class SimFaults {
    /** What one operation will do: wait, then fail at a point, hang, or succeed. */
    record Plan(Duration latency, Duration after, String failure, double failAt, boolean hang) {
    }

    private final Map<String, Duration> latency = new ConcurrentHashMap<>();
    private final Map<String, Duration> after = new ConcurrentHashMap<>();
    private final Map<String, String> failOnce = new ConcurrentHashMap<>();
    private final Map<String, String> failAlways = new ConcurrentHashMap<>();
    private final Map<String, Double> failRate = new ConcurrentHashMap<>();
    private final Map<String, Double> failAt = new ConcurrentHashMap<>();
    private final Map<String, Boolean> hang = new ConcurrentHashMap<>();
    private volatile Duration randomMin = Duration.ZERO;
    private volatile Duration randomMax = Duration.ZERO;

    static String checkOp(String op) {
        if (!SimControl.OPERATIONS.contains(op)) {
            throw new VirtException(ErrorCode.INVALID_ARG, "unknown emulator operation '" + op + "'; known: "
                    + new java.util.TreeSet<>(SimControl.OPERATIONS));
        }
        return op;
    }

    void setLatency(String op, Duration d) {
        latency.put(checkOp(op), nonNegative(d));
    }

    void setAfter(String op, Duration d) {
        after.put(checkOp(op), nonNegative(d));
    }

    void setRandom(Duration min, Duration max) {
        if (nonNegative(min).compareTo(nonNegative(max)) > 0) {
            throw new VirtException(ErrorCode.INVALID_ARG, "random latency: min " + min + " > max " + max);
        }
        randomMin = min;
        randomMax = max;
    }

    void failNext(String op, String message) {
        failOnce.put(checkOp(op), message);
    }

    void failAlways(String op, String message) {
        failAlways.put(checkOp(op), message);
    }

    void failRate(String op, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new VirtException(ErrorCode.INVALID_ARG, "failure rate of '" + op + "' must be in [0,1], was " + p);
        }
        failRate.put(checkOp(op), p);
    }

    void failAt(String op, double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new VirtException(ErrorCode.INVALID_ARG, "failure point of '" + op + "' must be in [0,1], was " + fraction);
        }
        failAt.put(checkOp(op), fraction);
    }

    void hang(String op, boolean always) {
        hang.put(checkOp(op), always);
    }

    void clear() {
        latency.clear();
        after.clear();
        failOnce.clear();
        failAlways.clear();
        failRate.clear();
        failAt.clear();
        hang.clear();
        randomMin = Duration.ZERO;
        randomMax = Duration.ZERO;
    }

    /** Decides what the next {@code op} does (consuming one-shot settings). */
    Plan plan(String op) {
        Duration lat = latency.get(op);
        if (lat == null) {
            long min = randomMin.toNanos();
            long max = randomMax.toNanos();
            lat = max > 0 ? Duration.ofNanos(min == max ? min : ThreadLocalRandom.current().nextLong(min, max + 1))
                    : Duration.ZERO;
        }
        String failure = failOnce.remove(op);
        if (failure == null) {
            failure = failAlways.get(op);
        }
        Double rate = failRate.get(op);
        if (failure == null && rate != null && ThreadLocalRandom.current().nextDouble() < rate) {
            failure = "injected random failure";
        }
        Boolean h = hang.get(op);
        boolean hangNow = false;
        if (h != null) {
            hangNow = true;
            if (!h) {
                hang.remove(op, false);
            }
        }
        return new Plan(lat, after.getOrDefault(op, Duration.ZERO), failure, failAt.getOrDefault(op, 0.5), hangNow);
    }

    private static Duration nonNegative(Duration d) {
        if (d == null || d.isNegative()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "a latency must be a non-negative duration, was " + d);
        }
        return d;
    }
}

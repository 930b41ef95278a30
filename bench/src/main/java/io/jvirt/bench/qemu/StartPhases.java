package io.jvirt.bench.qemu;

import io.jvirt.bench.Report;
import io.jvirt.bench.Samples;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects the QEMU driver's start-path checkpoints (its DEBUG "start phases" log line, whose
 * parameters are the domain name and seven durations in milliseconds) while a scenario runs, and
 * reports each phase's median (optionally only for domains of one name). Works with the platform's default System.Logger backend
 * (java.util.logging); the captured records are not printed.
 */
public final class StartPhases extends Handler implements AutoCloseable {
    /** The phases, in the order the driver logs them. */
    public static final String[] NAMES = {"prepare", "spawn", "status", "monitor", "locks", "cont", "running_status"};
    private static final String LOGGER = "io.jvirt.driver.qemu.process.LifecycleOps";

    private final Logger logger = Logger.getLogger(LOGGER);
    private final Level oldLevel;
    private final boolean oldParents;
    private final List<double[]> rows = new ArrayList<>();
    private final String domain;
    private volatile boolean recording;

    /** Collects the phases of every start. */
    public StartPhases() {
        this(null);
    }

    /** Collects the phases of the starts of domains named {@code domain} (all when null). */
    public StartPhases(String domain) {
        this.domain = domain;
        oldLevel = logger.getLevel();
        oldParents = logger.getUseParentHandlers();
        logger.setLevel(Level.FINE);
        logger.setUseParentHandlers(false);
        logger.addHandler(this);
    }

    /** Whether the next start's phases are kept (off during warm-up). */
    public void recording(boolean on) {
        recording = on;
    }

    @Override
    public synchronized void publish(LogRecord r) {
        Object[] p = r.getParameters();
        if (!recording || r.getMessage() == null || !r.getMessage().startsWith("start phases") || p == null
                || p.length != NAMES.length + 1 || (domain != null && !domain.equals(p[0]))) {
            return;
        }
        double[] row = new double[NAMES.length];
        for (int i = 0; i < NAMES.length; i++) {
            row[i] = ((Number) p[i + 1]).doubleValue();
        }
        rows.add(row);
    }

    /** The recorded durations of phase {@code name} (one of {@link #NAMES}), in recording order, in ms. */
    public synchronized double[] phase(String name) {
        int i = java.util.Arrays.asList(NAMES).indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no start phase '" + name + "'");
        }
        return rows.stream().mapToDouble(r -> r[i]).toArray();
    }

    /** Prints {@code start_phase.NAME_ms.p50} for each phase (nothing if the driver logged none). */
    public synchronized void report(Report report) {
        report(report, "start_phase.");
    }

    /** Prints {@code PREFIXNAME_ms.p50} for each phase. */
    public synchronized void report(Report report, String prefix) {
        if (rows.isEmpty()) {
            report.note("no start-phase checkpoints were logged by the driver");
            return;
        }
        for (int i = 0; i < NAMES.length; i++) {
            Samples s = new Samples(rows.size());
            for (double[] row : rows) {
                s.add((long) (row[i] * 1e6));
            }
            report.figure(prefix + NAMES[i] + "_ms.p50", s.percentileMillis(50), "ms");
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(oldLevel);
        logger.setUseParentHandlers(oldParents);
    }
}

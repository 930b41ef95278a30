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
 * parameters are the domain name and six durations in milliseconds) while a scenario runs, and
 * reports each phase's median. Works with the platform's default System.Logger backend
 * (java.util.logging); the captured records are not printed.
 */
final class StartPhases extends Handler implements AutoCloseable {
    static final String[] NAMES = {"prepare", "spawn", "status", "monitor", "cont", "running_status"};
    private static final String LOGGER = "io.jvirt.driver.qemu.process.LifecycleOps";

    private final Logger logger = Logger.getLogger(LOGGER);
    private final Level oldLevel;
    private final boolean oldParents;
    private final List<double[]> rows = new ArrayList<>();
    private volatile boolean recording;

    StartPhases() {
        oldLevel = logger.getLevel();
        oldParents = logger.getUseParentHandlers();
        logger.setLevel(Level.FINE);
        logger.setUseParentHandlers(false);
        logger.addHandler(this);
    }

    /** Whether the next start's phases are kept (off during warm-up). */
    void recording(boolean on) {
        recording = on;
    }

    @Override
    public synchronized void publish(LogRecord r) {
        Object[] p = r.getParameters();
        if (!recording || r.getMessage() == null || !r.getMessage().startsWith("start phases") || p == null
                || p.length != NAMES.length + 1) {
            return;
        }
        double[] row = new double[NAMES.length];
        for (int i = 0; i < NAMES.length; i++) {
            row[i] = ((Number) p[i + 1]).doubleValue();
        }
        rows.add(row);
    }

    /** Prints {@code start_phase.NAME_ms.p50} for each phase (nothing if the driver logged none). */
    synchronized void report(Report report) {
        if (rows.isEmpty()) {
            report.note("no start-phase checkpoints were logged by the driver");
            return;
        }
        for (int i = 0; i < NAMES.length; i++) {
            Samples s = new Samples(rows.size());
            for (double[] row : rows) {
                s.add((long) (row[i] * 1e6));
            }
            report.figure("start_phase." + NAMES[i] + "_ms.p50", s.percentileMillis(50), "ms");
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

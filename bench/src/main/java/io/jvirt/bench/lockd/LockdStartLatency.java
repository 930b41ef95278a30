package io.jvirt.bench.lockd;

import io.jvirt.testkit.FirmwareGuest;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.Virt;
import io.jvirt.bench.Report;
import io.jvirt.bench.Samples;
import io.jvirt.bench.qemu.StartPhases;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The start latency a lock manager adds: a firmware-only TCG guest with one raw disk started
 * ({@code createDomain} until running) and destroyed through the QEMU driver on two embed roots
 * in the same run: one with {@code lock_manager = "lockd"} (register in the pre-exec window,
 * acquire before {@code cont}), one with the default {@code nop}.
 * <p>
 * The starts come in <em>pairs</em>, one of each, the order alternating from pair to pair (so a
 * first-or-second effect cancels); the figure that answers "what does lockd add" is the median of
 * the per-pair differences ({@code lockd - nop}), with a distribution-free 95% confidence interval
 * of that median (order statistics of the sorted differences). A slow phase of the shared machine
 * then hits both starts of a pair instead of one side of two separate distributions.
 */
final class LockdStartLatency {
    private LockdStartLatency() {
    }

    static void run(Report report, Path dir, Path socket, int runs) throws Exception {
        Path disk = dir.resolve("start-disk.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        Path lockdRoot = Files.createDirectories(dir.resolve("root-lockd"));
        Files.writeString(lockdRoot.resolve("qemu.conf"), "lock_manager = \"lockd\"\n");
        Files.writeString(lockdRoot.resolve("qemu-lockd.conf"), "socket = \"" + socket + "\"\nfile_lockspace_dir = \""
                + dir.resolve("lockspace") + "\"\n");
        Path nopRoot = Files.createDirectories(dir.resolve("root-nop"));
        String xmlLockd = FirmwareGuest.xml("lockbench-lockd", FirmwareGuest.rawDisk(disk));
        String xmlNop = FirmwareGuest.xml("lockbench-nop", FirmwareGuest.rawDisk(disk));
        Samples lockd = new Samples(runs);
        Samples nop = new Samples(runs);
        Samples diff = new Samples(runs);
        String loadBefore = loadavg();
        try (StartPhases phasesLockd = new StartPhases("lockbench-lockd");
             StartPhases phasesNop = new StartPhases("lockbench-nop");
             Connection withLockd = Virt.open("qemu:///embed?root=" + lockdRoot);
             Connection withNop = Virt.open("qemu:///embed?root=" + nopRoot)) {
            withLockd.capabilities(); // probe QEMU once, off the start path
            withNop.capabilities();
            for (int i = -4; i < runs; i++) {
                phasesLockd.recording(i >= 0);
                phasesNop.recording(i >= 0);
                long l;
                long n;
                if ((i & 1) == 0) {
                    l = startStop(withLockd, xmlLockd);
                    n = startStop(withNop, xmlNop);
                } else {
                    n = startStop(withNop, xmlNop);
                    l = startStop(withLockd, xmlLockd);
                }
                if (i >= 0) {
                    lockd.add(l);
                    nop.add(n);
                    diff.add(l - n);
                }
            }
            reportLockWork(report, phasesLockd, phasesNop);
        }
        report.note(runs + " pairs (one lockd and one nop start each, order alternating) after 4 warm-up pairs;"
                + " guest: TCG, firmware only, one raw disk; load average before: " + loadBefore + ", after: " + loadavg());
        lockd.reportMillis(report, "start_lockd_ms");
        nop.reportMillis(report, "baseline.start_nop_ms");
        report.figure("start_added_by_lockd_ms.paired_median", diff.percentileMillis(50), "ms");
        // 95% interval of the median of n paired differences: ranks n/2 -+ 0.98 sqrt(n) (sign-test interval)
        int lo = (int) Math.floor(runs / 2.0 - 0.98 * Math.sqrt(runs));
        int hi = (int) Math.ceil(runs / 2.0 + 0.98 * Math.sqrt(runs)) + 1;
        report.figure("start_added_by_lockd_ms.paired_median_ci95_low", diff.rankMillis(Math.max(1, lo)), "ms");
        report.figure("start_added_by_lockd_ms.paired_median_ci95_high", diff.rankMillis(Math.min(runs, hi)), "ms");
        report.figure("start_added_by_lockd_ms.p50_minus_p50", lockd.percentileMillis(50) - nop.percentileMillis(50), "ms");
        report.ratio("start_lockd_vs_nop.p50", lockd.percentileMillis(50) / nop.percentileMillis(50));
    }

    /**
     * What the driver's own checkpoints say the locks cost: the pre-exec registration lies in the
     * {@code spawn} phase (paired difference lockd - nop), the acquire is the {@code locks} phase
     * (about zero for nop). Far less noisy than whole starts, since QEMU's own start-up is outside.
     */
    private static void reportLockWork(Report report, StartPhases lockd, StartPhases nop) {
        double[] spawnL = lockd.phase("spawn");
        double[] spawnN = nop.phase("spawn");
        double[] locksL = lockd.phase("locks");
        double[] locksN = nop.phase("locks");
        int n = Math.min(Math.min(spawnL.length, spawnN.length), Math.min(locksL.length, locksN.length));
        if (n == 0) {
            report.note("no start-phase checkpoints were logged by the driver");
            return;
        }
        Samples spawnDiff = new Samples(n);
        Samples locks = new Samples(n);
        Samples total = new Samples(n);
        for (int i = 0; i < n; i++) {
            spawnDiff.add((long) ((spawnL[i] - spawnN[i]) * 1e6));
            locks.add((long) ((locksL[i] - locksN[i]) * 1e6));
            total.add((long) ((spawnL[i] - spawnN[i] + locksL[i] - locksN[i]) * 1e6));
        }
        report.figure("lock_work_ms.spawn_phase_paired_median", spawnDiff.percentileMillis(50), "ms");
        report.figure("lock_work_ms.acquire_phase_paired_median", locks.percentileMillis(50), "ms");
        report.figure("lock_work_ms.paired_median", total.percentileMillis(50), "ms");
        report.figure("lock_work_ms.paired_p90", total.percentileMillis(90), "ms");
        lockd.report(report, "start_phase_lockd.");
        nop.report(report, "start_phase_nop.");
    }

    /** The first three fields of /proc/loadavg, or "?" */
    static String loadavg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "?";
        }
    }

    private static long startStop(Connection c, String xml) {
        long t0 = System.nanoTime();
        Domain d = c.createDomain(xml);
        long t = System.nanoTime() - t0;
        d.destroy();
        return t;
    }
}

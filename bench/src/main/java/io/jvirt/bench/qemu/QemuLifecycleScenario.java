package io.jvirt.bench.qemu;

import io.jvirt.testkit.FirmwareGuest;

import com.google.auto.service.AutoService;
import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.Virt;
import io.jvirt.bench.Report;
import io.jvirt.bench.Samples;
import io.jvirt.bench.Scenario;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code scripts/bench lifecycle}: define → running → destroyed of a firmware-only TCG guest through
 * the QEMU driver (qemu:///embed), next to raw QEMU spawn-to-first-QMP-reply with the same machine
 * in the same run. System property {@code jvirt.bench.lifecycle.runs} (default 20).
 */
@AutoService(Scenario.class)
public final class QemuLifecycleScenario implements Scenario {
    static final String QEMU = System.getProperty("jvirt.qemu.binary", "/usr/bin/qemu-system-x86_64");

    @Override
    public String name() {
        return "lifecycle";
    }

    @Override
    public String description() {
        return "QEMU driver define->running->destroyed (TCG, firmware only, 64 MiB) vs raw QEMU spawn to first QMP reply";
    }

    static String xml(String name) {
        return FirmwareGuest.xml(name);
    }

    @Override
    public void run(Report report) throws Exception {
        int runs = Integer.getInteger("jvirt.bench.lifecycle.runs", 20);
        Path root = Files.createTempDirectory("jvirt-bench-lifecycle");
        report.note(runs + " runs each, alternating; " + Runtime.getRuntime().availableProcessors() + " cpus; root " + root);
        Samples start = new Samples(runs);
        Samples destroy = new Samples(runs);
        Samples total = new Samples(runs);
        Samples raw = new Samples(runs);
        Samples define = new Samples(runs);
        Samples rawSame = new Samples(runs);
        StartPhases phases = new StartPhases();
        try (phases; Connection c = Virt.open("qemu:///embed?root=" + root)) {
            c.capabilities(); // the capabilities probe happens once, here, never on the start path
            for (int i = -2; i < runs; i++) {
                long t0 = System.nanoTime();
                phases.recording(i >= 0);
                Domain d = c.defineDomain(xml("bench" + i));
                long tDefined = System.nanoTime();
                d.start();
                long t1 = System.nanoTime();
                d.destroy();
                long t2 = System.nanoTime();
                d.undefine();
                long r = rawSpawn(root.resolve("raw"));
                long rs = rawSpawnSameArgv(root.resolve("raw"), root.resolve("log").resolve("bench" + i + ".log"));
                if (i >= 0) {
                    rawSame.add(rs);
                    start.add(t1 - t0);
                    define.add(tDefined - t0);
                    destroy.add(t2 - t1);
                    total.add(t2 - t0);
                    raw.add(r);
                }
            }
        } finally {
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        start.reportMillis(report, "start_ms");
        destroy.reportMillis(report, "destroy_ms");
        total.reportMillis(report, "define_to_destroyed_ms");
        raw.reportMillis(report, "raw_spawn_to_qmp_ms");
        rawSame.reportMillis(report, "raw_same_argv_spawn_to_qmp_ms");
        report.figure("start_phase.define_ms.p50", define.percentileMillis(50), "ms");
        phases.report(report);
        report.figure("start_overhead_ms.p50", start.percentileMillis(50) - raw.percentileMillis(50), "ms");
        report.ratio("start_vs_raw", start.percentileMillis(50) / raw.percentileMillis(50));
    }

    /**
     * Raw QEMU with jvirt's own command line for the run (read from the domain's log, the monitor
     * socket and pidfile moved into {@code dir}): spawn to the {@code qmp_capabilities} reply. Tells
     * QEMU's own start-up cost for that command line apart from the driver's.
     */
    static long rawSpawnSameArgv(Path dir, Path log) throws Exception {
        String marker = "): ";
        String line = Files.readAllLines(log).stream().filter(l -> l.contains("starting domain") && l.contains(marker))
                .reduce((a, b) -> b).orElseThrow(() -> new IllegalStateException("no command line in " + log));
        List<String> argv = new ArrayList<>(List.of(line.substring(line.indexOf(marker) + marker.length()).split(" ")));
        Files.createDirectories(dir);
        Path sock = dir.resolve("same.sock");
        Files.deleteIfExists(sock);
        for (int k = 0; k < argv.size() - 1; k++) {
            if (argv.get(k).equals("-chardev") && argv.get(k + 1).startsWith("socket,id=charmonitor,")) {
                argv.set(k + 1, "socket,id=charmonitor,path=" + sock + ",server=on,wait=off");
            } else if (argv.get(k).equals("-pidfile")) {
                argv.set(k + 1, dir.resolve("same.pid").toString());
            }
        }
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (RawQmp q = RawQmp.connect(sock, TimeUnit.SECONDS.toNanos(10))) {
            return System.nanoTime() - t0;
        } finally {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Raw QEMU with the same machine: spawn, connect, greeting, qmp_capabilities reply; then kill. */
    static long rawSpawn(Path dir) throws Exception {
        Files.createDirectories(dir);
        Path sock = dir.resolve("raw.sock");
        Files.deleteIfExists(sock);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(QEMU, "-machine", "pc", "-accel", "tcg", "-m", "64", "-smp", "1",
                "-no-user-config", "-nodefaults", "-display", "none", "-S",
                "-qmp", "unix:" + sock + ",server=on,wait=off")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (RawQmp q = RawQmp.connect(sock, TimeUnit.SECONDS.toNanos(10))) {
            return System.nanoTime() - t0;
        } finally {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }
}

package io.jvirt.bench.qemu;

import com.google.auto.service.AutoService;
import io.jvirt.bench.Report;
import io.jvirt.bench.Samples;
import io.jvirt.bench.Scenario;
import io.jvirt.driver.qemu.monitor.QmpListener;
import io.jvirt.driver.qemu.monitor.QmpMonitor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code scripts/bench qmp}: {@code query-status} round trips through jvirt's QMP client (ids,
 * futures, Jackson) against a bare socket client on a second QMP socket of the same QEMU, in the
 * same run; and the jvirt client from 2 threads (commands pipelined by id) against the bare
 * client's single-connection rate. System property {@code jvirt.bench.qmp.ops} (default 20000).
 */
@AutoService(Scenario.class)
public final class QmpScenario implements Scenario {
    @Override
    public String name() {
        return "qmp";
    }

    @Override
    public String description() {
        return "QMP query-status round trip: jvirt monitor (1 and 2 threads) vs a raw socket client, same QEMU";
    }

    @Override
    public void run(Report report) throws Exception {
        int ops = Integer.getInteger("jvirt.bench.qmp.ops", 20000);
        Path dir = Files.createTempDirectory("jvirt-bench-qmp");
        Path a = dir.resolve("a.sock");
        Path b = dir.resolve("b.sock");
        Process p = new ProcessBuilder(QemuLifecycleScenario.QEMU, "-machine", "none", "-nodefaults", "-display", "none",
                "-qmp", "unix:" + a + ",server=on,wait=off", "-qmp", "unix:" + b + ",server=on,wait=off")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (QmpMonitor mon = QmpMonitor.connect(a, QmpListener.ignoring(), QmpMonitor.Options.defaults(), p::isAlive);
             RawQmp raw = RawQmp.connect(b, TimeUnit.SECONDS.toNanos(10))) {
            report.note(ops + " query-status per measurement, after " + ops / 4 + " warm-up; "
                    + Runtime.getRuntime().availableProcessors() + " cpus");
            for (int i = 0; i < ops / 4; i++) {
                mon.execute("query-status");
                raw.command("{\"execute\":\"query-status\"}");
            }
            Samples rawS = new Samples(ops);
            long r0 = System.nanoTime();
            for (int i = 0; i < ops; i++) {
                long t = System.nanoTime();
                raw.command("{\"execute\":\"query-status\"}");
                rawS.add(System.nanoTime() - t);
            }
            double rawRate = ops / ((System.nanoTime() - r0) / 1e9);
            Samples jv = new Samples(ops);
            long j0 = System.nanoTime();
            for (int i = 0; i < ops; i++) {
                long t = System.nanoTime();
                mon.execute("query-status");
                jv.add(System.nanoTime() - t);
            }
            double jvRate = ops / ((System.nanoTime() - j0) / 1e9);
            int per = ops / 2;
            List<Thread> threads = new ArrayList<>();
            long m0 = System.nanoTime();
            for (int t = 0; t < 2; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < per; i++) {
                        mon.execute("query-status");
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            double twoRate = 2.0 * per / ((System.nanoTime() - m0) / 1e9);
            report.figure("raw.ops_per_s", rawRate, "ops/s");
            report.figure("raw.rtt_us.p50", rawS.percentileMicros(50), "us");
            report.figure("raw.rtt_us.p99", rawS.percentileMicros(99), "us");
            report.figure("jvirt.ops_per_s", jvRate, "ops/s");
            report.figure("jvirt.rtt_us.p50", jv.percentileMicros(50), "us");
            report.figure("jvirt.rtt_us.p99", jv.percentileMicros(99), "us");
            report.figure("jvirt_2threads.ops_per_s", twoRate, "ops/s");
            report.ratio("rtt_p50_vs_raw", jv.percentileMicros(50) / rawS.percentileMicros(50));
            report.ratio("rate_vs_raw", jvRate / rawRate);
            report.ratio("rate_2threads_vs_raw", twoRate / rawRate);
        } finally {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            Files.deleteIfExists(a);
            Files.deleteIfExists(b);
            Files.deleteIfExists(dir);
        }
    }
}

package io.jvirt.bench.vz;

import com.google.auto.service.AutoService;
import io.jvirt.api.JobInfo;
import io.jvirt.api.MigrateOptions;
import io.jvirt.api.xml.DomainXml;
import io.jvirt.bench.Report;
import io.jvirt.bench.Scenario;
import io.jvirt.driver.vz.VzDriver;
import io.jvirt.driver.vz.VzDriverProvider;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DriverContext;
import io.jvirt.spi.VirtUri;
import io.jvirt.spi.event.EventSink;

import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code scripts/bench vz}: latency of group-1 calls (cache reads: lookup, info, XML, state, job
 * info, stats) on one VM of the SDK emulator, first with no job (the baseline), then while a long
 * group-2 job (an emulated 10 s migration) runs on the same VM. The ratio should be ~1x.
 */
@AutoService(Scenario.class)
public final class VzScenario implements Scenario {
    private static final long MEASURE_NANOS = TimeUnit.MILLISECONDS.toNanos(Long.getLong("vz.bench.ms", 3000));

    @Override
    public String name() {
        return "vz";
    }

    @Override
    public String description() {
        return "vz group-1 query latency on vz:///sim, idle VM (baseline) vs. the same VM during a 10 s migration";
    }

    @Override
    public void run(Report report) throws Exception {
        String tag = Long.toHexString(System.nanoTime());
        VzDriverProvider provider = new VzDriverProvider();
        DriverContext ctx = new DriverContext(EventSink.discard());
        try (VzDriver a = (VzDriver) provider.open(VirtUri.parse("vz:///sim?host=bench-a-" + tag + "&latency.migrate=10000"), ctx);
             VzDriver b = (VzDriver) provider.open(VirtUri.parse("vz:///sim?host=bench-b-" + tag), ctx)) {
            DomainObj d = a.define(DomainXml.parse(xml("bench-vm", UUID.randomUUID())));
            a.start(d);
            measure(a, d, MEASURE_NANOS / 3); // warm-up
            long[][] idleAll = measure(a, d, MEASURE_NANOS);
            long[] idle = idleAll[KINDS.length];
            report(report, "idle", idle);

            CompletableFuture<Void> migration = CompletableFuture.runAsync(() -> a.migrate(d, b, MigrateOptions.live()));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (a.jobInfo(d).type() != JobInfo.Type.BOUNDED && a.jobInfo(d).type() != JobInfo.Type.UNBOUNDED) {
                if (System.nanoTime() > until) {
                    throw new IllegalStateException("the migration did not start");
                }
                Thread.sleep(1);
            }
            long[][] busyAll = measure(a, d, MEASURE_NANOS);
            long[] busy = busyAll[KINDS.length];
            boolean stillRunning = !migration.isDone();
            a.abortJob(d);
            try {
                migration.get(10, TimeUnit.SECONDS);
            } catch (Exception expected) {
                // aborted on purpose
            }
            report(report, "during_migration", busy);
            report.figure("during_migration.job_still_running", stillRunning ? 1 : 0, "bool");
            report.ratio("p50", pct(busy, 0.50) / pct(idle, 0.50));
            report.ratio("p99", pct(busy, 0.99) / pct(idle, 0.99));
            for (int k = 0; k < KINDS.length; k++) {
                report.figure(KINDS[k] + ".idle.p50", pct(idleAll[k], 0.50) / 1000.0, "us");
                report.figure(KINDS[k] + ".during_migration.p50", pct(busyAll[k], 0.50) / 1000.0, "us");
                report.figure(KINDS[k] + ".idle.p99", pct(idleAll[k], 0.99) / 1000.0, "us");
                report.figure(KINDS[k] + ".during_migration.p99", pct(busyAll[k], 0.99) / 1000.0, "us");
            }
            report.note("group-1 calls: lookup by name, info, XML, state, jobInfo, blockStats, memoryStats (round robin)");
        }
    }

    private static void report(Report r, String what, long[] nanos) {
        r.figure(what + ".calls", nanos.length, "count");
        r.figure(what + ".p50", pct(nanos, 0.50) / 1000.0, "us");
        r.figure(what + ".p99", pct(nanos, 0.99) / 1000.0, "us");
        r.figure(what + ".max", nanos[nanos.length - 1] / 1000.0, "us");
    }

    private static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))];
    }

    private static final String[] KINDS = {"lookup", "info", "xml", "state", "jobinfo", "blockstats", "memstats"};

    /** Sorted latencies per call kind (index as {@link #KINDS}) and, last, all of them. */
    private static long[][] measure(VzDriver v, DomainObj d, long duration) {
        long[] out = new long[6_000_000];
        int n = 0;
        long end = System.nanoTime() + duration;
        while (n < out.length && System.nanoTime() < end) {
            long t0 = System.nanoTime();
            switch (n % KINDS.length) {
                case 0 -> v.domains().byName(d.name());
                case 1 -> v.info(d);
                case 2 -> v.xml(d, false);
                case 3 -> v.domains().byUuid(d.uuid()).status();
                case 4 -> v.jobInfo(d);
                case 5 -> v.blockStats(d, "sda");
                default -> v.memoryStats(d);
            }
            out[n++] = System.nanoTime() - t0;
        }
        long[][] r = new long[KINDS.length + 1][];
        for (int k = 0; k < KINDS.length; k++) {
            int count = (n - k + KINDS.length - 1) / KINDS.length;
            long[] x = new long[Math.max(0, count)];
            for (int i = k, j = 0; i < n; i += KINDS.length) {
                x[j++] = out[i];
            }
            Arrays.sort(x);
            r[k] = x;
        }
        r[KINDS.length] = Arrays.copyOf(out, n);
        Arrays.sort(r[KINDS.length]);
        return r;
    }

    static String xml(String name, UUID uuid) {
        return """
                <domain type='vz'>
                  <name>%s</name>
                  <uuid>%s</uuid>
                  <memory unit='KiB'>1048576</memory>
                  <vcpu>2</vcpu>
                  <os><type arch='x86_64'>hvm</type></os>
                  <devices>
                    <disk type='file' device='disk'><source file='/vz/%s.hdd'/><target dev='sda' bus='sata'/></disk>
                    <interface type='bridge'><mac address='52:54:00:12:34:56'/><source bridge='br0'/></interface>
                  </devices>
                </domain>
                """.formatted(name, uuid, name);
    }

    /** Runs the scenario without the harness, printing the figures. */
    public static void main(String[] args) throws Exception {
        VzScenario s = new VzScenario();
        s.run(new Report() {
            @Override
            public void figure(String name, double value, String unit) {
                System.out.printf("%s.%s %.3f %s%n", s.name(), name, value, unit);
            }

            @Override
            public void note(String text) {
                System.out.println("# " + text);
            }
        });
    }
}

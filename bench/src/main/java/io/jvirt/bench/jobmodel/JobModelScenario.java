package io.jvirt.bench.jobmodel;

import com.google.auto.service.AutoService;
import io.jvirt.bench.Report;
import io.jvirt.bench.Scenario;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.annotations.Mode;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code scripts/bench job-model}: runs {@link JobModelBenchmarks} with JMH (short settings: one
 * fork, 2 x 1 s warm-up, 3 x 1 s measurement; {@code -Djvirt.bench.forks}, {@code
 * -Djvirt.bench.iterations} change them) in throughput and sample-time modes, and reports ops/s,
 * mean and p99 per benchmark with the ratios against the same-run baselines.
 */
@AutoService(Scenario.class)
public final class JobModelScenario implements Scenario {
    private static final String[] BENCHMARKS = {"lockOnly", "uncontendedJob", "queryIdle", "queryUnderAsync",
            "mixed8x1000"};

    @Override
    public String name() {
        return "job-model";
    }

    @Override
    public String description() {
        return "job begin+end uncontended (baseline: the bare domain lock), a query under a running async job "
                + "(baseline: the same query without one), 8 threads x 1,000 domains mixed query/modify";
    }

    @Override
    public void run(Report report) throws Exception {
        Map<String, Double> opsPerSecond = new HashMap<>();
        for (RunResult r : jmh(Mode.Throughput, TimeUnit.SECONDS)) {
            String b = shortName(r);
            double ops = r.getPrimaryResult().getScore();
            opsPerSecond.put(b, ops);
            report.figure(b + ".ops_per_s", ops, "ops/s");
        }
        Map<String, Double> p50 = new HashMap<>();
        for (RunResult r : jmh(Mode.SampleTime, TimeUnit.NANOSECONDS)) {
            String b = shortName(r);
            var stats = r.getPrimaryResult().getStatistics();
            p50.put(b, stats.getPercentile(50));
            report.figure(b + ".mean_ns", stats.getMean(), "ns");
            report.figure(b + ".p50_ns", stats.getPercentile(50), "ns");
            report.figure(b + ".p99_ns", stats.getPercentile(99), "ns");
        }
        report.ratio("uncontendedJob_vs_lockOnly", opsPerSecond.get("lockOnly") / opsPerSecond.get("uncontendedJob"));
        report.ratio("queryUnderAsync_vs_queryIdle", opsPerSecond.get("queryIdle") / opsPerSecond.get("queryUnderAsync"));
        report.ratio("queryUnderAsync_vs_queryIdle_p50", p50.get("queryUnderAsync") / p50.get("queryIdle"));
        report.note("ratios are time per op relative to the baseline (1.0 = same speed), from throughput unless named _p50; "
                + "uncontended job begin+end = " + String.format(java.util.Locale.ROOT, "%.1f", 1e9
                / opsPerSecond.get("uncontendedJob")) + " ns from throughput (sample-time mean includes timer cost)");
    }

    private static Collection<RunResult> jmh(Mode mode, TimeUnit unit) throws Exception {
        int iterations = Integer.getInteger("jvirt.bench.iterations", 3);
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include(JobModelBenchmarks.class.getName() + "\\.(" + String.join("|", BENCHMARKS) + ")$")
                .mode(mode)
                .timeUnit(unit)
                .forks(Integer.getInteger("jvirt.bench.forks", 1))
                .warmupIterations(2)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(1))
                .shouldFailOnError(true);
        return new Runner(b.build()).run();
    }

    private static String shortName(RunResult r) {
        String full = r.getParams().getBenchmark();
        return full.substring(full.lastIndexOf('.') + 1);
    }

    /** Runs the scenario without the harness, printing its lines. */
    public static void main(String[] args) throws Exception {
        new JobModelScenario().run(new Report() {
            @Override
            public void figure(String name, double value, String unit) {
                System.out.printf(java.util.Locale.ROOT, "job-model.%s %.3f %s%n", name, value, unit);
            }

            @Override
            public void note(String text) {
                System.out.println("# " + text);
            }
        });
    }
}

package io.jvirt.bench;

import com.google.auto.service.AutoService;
import io.jvirt.api.Connection;
import io.jvirt.api.Virt;
import io.jvirt.spi.DriverProvider;

import java.util.ServiceLoader;

/**
 * {@code connect}: the latency of {@code Virt.open("test:///default")} followed by {@code close()},
 * against the same-run baseline of the ServiceLoader lookup of every {@link DriverProvider} alone
 * (the part of opening that no driver can avoid). The two are measured alternately so that
 * machine noise hits both.
 */
@AutoService(Scenario.class)
public final class ConnectScenario implements Scenario {
    static final String URI = "test:///default";
    private final int warmup;
    private final int iterations;

    /** The default: 300 warm-up rounds, then 3000 measured. */
    public ConnectScenario() {
        this(300, 3000);
    }

    ConnectScenario(int warmup, int iterations) {
        this.warmup = warmup;
        this.iterations = iterations;
    }

    @Override
    public String name() {
        return "connect";
    }

    @Override
    public String description() {
        return "Virt.open(\"" + URI + "\") + close() latency vs the DriverProvider ServiceLoader lookup alone";
    }

    @Override
    public void run(Report report) {
        Samples open = new Samples(iterations);
        Samples lookup = new Samples(iterations);
        int providers = 0;
        for (int i = 0; i < warmup + iterations; i++) {
            long t0 = System.nanoTime();
            providers = lookupAll();
            long t1 = System.nanoTime();
            try (Connection c = Virt.open(URI)) {
                if (c.uri().isEmpty()) {
                    throw new IllegalStateException("connection has no URI");
                }
            }
            long t2 = System.nanoTime();
            if (i >= warmup) {
                lookup.add(t1 - t0);
                open.add(t2 - t1);
            }
        }
        report.note(iterations + " rounds after " + warmup + " warm-up; driver providers found: " + providers);
        open.reportMicros(report, "open_close_us");
        lookup.reportMicros(report, "baseline.lookup_us");
        report.ratio("open_close_vs_lookup.p50", open.percentileMicros(50) / lookup.percentileMicros(50));
    }

    private static int lookupAll() {
        int n = 0;
        for (DriverProvider p : ServiceLoader.load(DriverProvider.class, ConnectScenario.class.getClassLoader())) {
            if (p.name() != null) {
                n++;
            }
        }
        return n;
    }
}

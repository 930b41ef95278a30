package io.jvirt.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class BenchMainTest {
    record Fixed(String name, double value) implements Scenario {
        @Override
        public String description() {
            return "reports " + value;
        }

        @Override
        public void run(Report report) {
            if (value < 0) {
                throw new IllegalStateException("negative");
            }
            report.figure("x_ms.p50", value, "ms");
            report.ratio("x", value / 2);
            report.note("done");
        }
    }

    record Outcome(int status, String out, String err) {
    }

    static Outcome run(Map<String, Scenario> scenarios, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = BenchMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), scenarios);
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Map<String, Scenario> two() {
        Map<String, Scenario> m = new TreeMap<>();
        m.put("a", new Fixed("a", 12.5));
        m.put("b", new Fixed("b", -1));
        return m;
    }

    @Test
    void printsFiguresRatiosAndNotes() {
        Outcome o = run(two(), "a");
        assertEquals(0, o.status(), o.err());
        assertEquals("# a: reports 12.5\na.x_ms.p50 12.5 ms\na.ratio.x 6.25 x\n# a: done\n", o.out());
    }

    @Test
    void runsAllByDefaultAndFailsWhenOneFails() {
        Outcome o = run(two());
        assertEquals(1, o.status());
        assertTrue(o.out().contains("a.x_ms.p50 12.5 ms\n"), o.out());
        assertTrue(o.err().startsWith("error: scenario b failed: java.lang.IllegalStateException: negative"), o.err());
    }

    @Test
    void listsAndRejectsUnknownNames() {
        Outcome list = run(two(), "--list");
        assertEquals(0, list.status());
        assertEquals(String.format("%-20s %s%n%-20s %s%n", "a", "reports 12.5", "b", "reports -1.0"), list.out());
        Outcome bad = run(two(), "zzz");
        assertEquals(1, bad.status());
        assertEquals("error: unknown scenario 'zzz'; known: a, b\n", bad.err());
        assertEquals("", bad.out());
    }

    @Test
    void formatsWithoutExponent() {
        assertEquals("0", BenchMain.format(0));
        assertEquals("1234570", BenchMain.format(1234567.0));
        assertEquals("0.000123457", BenchMain.format(0.0001234567));
        assertEquals("3", BenchMain.format(3.0));
    }

    @Test
    void percentilesUseNearestRank() {
        Samples s = new Samples(100);
        for (int i = 1; i <= 100; i++) {
            s.add(i * 1_000L);
        }
        assertEquals(50_000, s.percentileNanos(50));
        assertEquals(95_000, s.percentileNanos(95));
        assertEquals(95.0, s.percentileMicros(95));
    }

    @Test
    void connectScenarioIsRegisteredAndMeasures() {
        Map<String, Scenario> found = BenchMain.discover();
        assertTrue(found.containsKey("connect"), found.keySet().toString());
        Map<String, Scenario> one = Map.of("connect", new ConnectScenario(5, 50));
        Outcome o = run(one, "connect");
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().matches("(?s).*\nconnect\\.open_close_us\\.p50 [0-9.]+ us\n"
                + "connect\\.open_close_us\\.p95 [0-9.]+ us\n"
                + "connect\\.baseline\\.lookup_us\\.p50 [0-9.]+ us\n"
                + "connect\\.baseline\\.lookup_us\\.p95 [0-9.]+ us\n"
                + "connect\\.ratio\\.open_close_vs_lookup\\.p50 [0-9.]+ x\n"), o.out());
    }
}

package io.jvirt.bench;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The runner behind {@code scripts/bench [SCENARIO...] [--list]}: finds {@link Scenario}s with
 * {@link ServiceLoader}, runs the named ones (all when none is named, in name order) and prints
 * every figure as {@code SCENARIO.FIGURE VALUE UNIT}, notes as {@code # SCENARIO: text}. A
 * scenario that throws is reported on stderr and makes the exit status 1; the others still run.
 */
public final class BenchMain {
    private BenchMain() {
    }

    /** Command-line entry point. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, discover()));
    }

    /** Every scenario on the class path, by name. */
    static Map<String, Scenario> discover() {
        Map<String, Scenario> byName = new TreeMap<>();
        for (Scenario s : ServiceLoader.load(Scenario.class, BenchMain.class.getClassLoader())) {
            Scenario clash = byName.putIfAbsent(s.name(), s);
            if (clash != null) {
                throw new IllegalStateException("two scenarios are named '" + s.name() + "': "
                        + clash.getClass().getName() + " and " + s.getClass().getName());
            }
        }
        return byName;
    }

    /**
     * Runs the command line against {@code scenarios}.
     *
     * @return 0 when every scenario ran, 1 on an unknown name or a failed scenario
     */
    static int run(String[] args, PrintStream out, PrintStream err, Map<String, Scenario> scenarios) {
        List<String> names = new ArrayList<>();
        for (String a : args) {
            switch (a) {
                case "--list", "-l" -> {
                    scenarios.values().forEach(s -> out.printf("%-20s %s%n", s.name(), s.description()));
                    return 0;
                }
                case "--help", "-h" -> {
                    out.println("usage: scripts/bench [SCENARIO...] [--list]");
                    out.println("Runs the named benchmark scenarios (all when none is named) and prints");
                    out.println("one figure per line: SCENARIO.FIGURE VALUE UNIT.");
                    return 0;
                }
                default -> {
                    if (a.startsWith("-")) {
                        err.println("error: unknown option '" + a + "' (try --list or --help)");
                        return 1;
                    }
                    names.add(a);
                }
            }
        }
        if (names.isEmpty()) {
            names.addAll(scenarios.keySet());
        }
        for (String n : names) {
            if (!scenarios.containsKey(n)) {
                err.println("error: unknown scenario '" + n + "'; known: " + String.join(", ", scenarios.keySet()));
                return 1;
            }
        }
        int status = 0;
        for (String n : names) {
            Scenario s = scenarios.get(n);
            out.println("# " + n + ": " + s.description());
            try {
                s.run(new PrintingReport(n, out));
            } catch (Exception | AssertionError e) {
                err.println("error: scenario " + n + " failed: " + e);
                status = 1;
            }
            out.flush();
        }
        return status;
    }

    /** Formats a figure with up to six significant digits, without exponent or trailing zeros. */
    static String format(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return Double.toString(value);
        }
        if (value == 0) {
            return "0";
        }
        return new BigDecimal(value).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }

    private record PrintingReport(String scenario, PrintStream out) implements Report {
        @Override
        public void figure(String name, double value, String unit) {
            if (name == null || name.isBlank() || name.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("figure name must be one word: '" + name + "'");
            }
            out.println(scenario + "." + name + " " + format(value) + " " + unit);
        }

        @Override
        public void note(String text) {
            out.println("# " + scenario + ": " + text);
        }
    }
}

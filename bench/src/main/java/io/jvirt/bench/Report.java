package io.jvirt.bench;

/**
 * Where a scenario reports its figures. Each figure becomes one line
 * {@code SCENARIO.FIGURE VALUE UNIT} (e.g. {@code lifecycle.start_ms.p50 12.3 ms}).
 */
public interface Report {
    /** Reports one figure, e.g. {@code figure("start_ms.p50", 12.3, "ms")}. */
    void figure(String name, double value, String unit);

    /** Reports a ratio against the same-run baseline, printed as {@code SCENARIO.ratio.NAME VALUE x}. */
    default void ratio(String name, double value) {
        figure("ratio." + name, value, "x");
    }

    /** A free-form note line (prefixed with {@code #}). */
    void note(String text);
}

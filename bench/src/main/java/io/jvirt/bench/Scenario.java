package io.jvirt.bench;

/**
 * One benchmark scenario, run by {@code scripts/bench NAME}. Register implementations with
 * {@code @AutoService(Scenario.class)}. A scenario measures jvirt and, in the same run, a baseline
 * (raw QEMU, a raw socket client, the same call without contention), and reports both.
 */
public interface Scenario {
    /** The name given on the command line ({@code lifecycle}, {@code qmp}, {@code job-model}). */
    String name();

    /** One line saying what is measured and against which baseline. */
    String description();

    /** Runs the scenario, reporting figures as they are measured. */
    void run(Report report) throws Exception;
}

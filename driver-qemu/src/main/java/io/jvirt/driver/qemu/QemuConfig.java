package io.jvirt.driver.qemu;

import io.jvirt.driver.qemu.command.CommandOptions;
import io.jvirt.spi.job.JobConfig;

import java.time.Duration;

/**
 * A QEMU driver host's settings.
 *
 * @param uri             the normalised URI
 * @param paths           its directories
 * @param command         command-line options (default binary, TCG cache size)
 * @param jobs            job waits and monitor timeouts
 * @param destroyGrace    how long destroy waits after SIGTERM before SIGKILL
 * @param shutdownTimeout how long shutdown waits for QEMU to exit after the power button
 */
public record QemuConfig(String uri, QemuPaths paths, CommandOptions command, JobConfig jobs, Duration destroyGrace,
                         Duration shutdownTimeout) {
}

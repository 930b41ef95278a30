package io.jvirt.spi.process;

/**
 * A program started by {@link Spawner}: already exec'd, in its own session.
 *
 * @param pid     its process id
 * @param process the JVM's handle (the JVM is its parent and reaps it; {@link Process#onExit()})
 */
public record SpawnedProcess(long pid, Process process) {
}

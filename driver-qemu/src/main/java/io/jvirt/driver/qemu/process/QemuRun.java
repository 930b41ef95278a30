package io.jvirt.driver.qemu.process;

import io.jvirt.driver.qemu.agent.DomainAgent;
import io.jvirt.driver.qemu.monitor.QmpMonitor;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * What the driver keeps about one running QEMU (the domain object's private data while active).
 * Fields other than the final ones are written under the domain lock or before publication.
 */
public final class QemuRun {
    final long pid;
    final Process process;
    final Path dir;
    final Path statusFile;
    volatile QmpMonitor monitor;
    /** The guest agent's connection holder, or null when the domain has no agent channel. */
    volatile DomainAgent agent;
    volatile StatusFile status;
    /** Set by destroy before it kills QEMU: the monitor's end is then expected. */
    volatile boolean destroying;
    /** QEMU reported SHUTDOWN (the guest powered off): its exit is a shutdown, not a crash. */
    volatile boolean shutdownSeen;
    /** Completed when stop processing has finished for this run. */
    final CompletableFuture<Void> stopped = new CompletableFuture<>();

    QemuRun(long pid, Process process, Path dir, Path statusFile) {
        this.pid = pid;
        this.process = process;
        this.dir = dir;
        this.statusFile = statusFile;
    }

    /** QEMU's pid. */
    public long pid() {
        return pid;
    }

    /** The monitor, or null while not connected. */
    public QmpMonitor monitor() {
        return monitor;
    }

    /** The guest agent of this run, or null when the domain has no agent channel. */
    public DomainAgent agent() {
        return agent;
    }

    /** The status as last written. */
    public StatusFile status() {
        return status;
    }

    /** Completed when this run has been stopped and cleaned up. */
    public CompletableFuture<Void> stoppedFuture() {
        return stopped;
    }
}

package io.jvirt.lock.sanlock;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real sanlock daemon for tests, one "host": started in the foreground ({@code -D}) as a child
 * process with its own run directory ({@code SANLOCK_RUN_DIR}), unprivileged mode
 * ({@code SANLOCK_PRIVILEGED=0}), no watchdog ({@code -w 0}), no mlockall ({@code -l 0}), as
 * the current user. Stopped by pid (it and its helper child) on {@link #close()}.
 */
final class SanlockDaemon implements AutoCloseable {
    static final Path SANLOCK = Path.of("/usr/sbin/sanlock");

    private final Process process;
    private final Path runDir;
    private final Path log;

    private SanlockDaemon(Process process, Path runDir, Path log) {
        this.process = process;
        this.runDir = runDir;
        this.log = log;
    }

    static SanlockDaemon start(Path runDir) throws Exception {
        if (!Files.isExecutable(SANLOCK)) {
            throw new IllegalStateException(SANLOCK + " is missing: install the Debian package 'sanlock'");
        }
        Files.createDirectories(runDir);
        Path log = runDir.resolve("daemon.log");
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        int gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
        ProcessBuilder pb = new ProcessBuilder(List.of(SANLOCK.toString(), "daemon", "-D", "-w", "0", "-l", "0",
                "-U", Integer.toString(uid), "-G", Integer.toString(gid)));
        pb.environment().put("SANLOCK_RUN_DIR", runDir.toString());
        pb.environment().put("SANLOCK_PRIVILEGED", "0");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        Process p = pb.start();
        SanlockDaemon d = new SanlockDaemon(p, runDir, log);
        try {
            SanlockClient c = new SanlockClient(d.socket(), Duration.ofSeconds(2), Duration.ofSeconds(2));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("sanlock daemon exited with " + p.exitValue() + ":\n" + d.logText());
                }
                try {
                    c.version();
                    return d;
                } catch (SanlockClient.SanlockIOException | SanlockClient.SanlockResultException e) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("sanlock daemon did not answer within 10 s: " + e.getMessage()
                                + "\n" + d.logText());
                    }
                    Thread.sleep(50);
                }
            }
        } catch (Exception | Error e) {
            d.close();
            throw e;
        }
    }

    Path socket() {
        return runDir.resolve("sanlock.sock");
    }

    long pid() {
        return process.pid();
    }

    String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGKILL the daemon and its helper child (no watchdog is armed, so nothing else reacts). */
    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        for (ProcessHandle h : children) {
            h.destroyForcibly();
            h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join();
        }
    }
}

package io.jvirt.testkit;

import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real sanlock daemon for tests, one "host": started in the foreground ({@code -D}) as a child
 * process with its own run directory ({@code SANLOCK_RUN_DIR}), unprivileged mode
 * ({@code SANLOCK_PRIVILEGED=0}), no watchdog ({@code -w 0}), no mlockall ({@code -l 0}), as
 * the current user. Stopped by pid (it and its helper child) in {@link #close()}.
 */
public final class SanlockDaemonProcess implements AutoCloseable {
    /** The daemon binary (Debian package {@code sanlock}). */
    public static final Path SANLOCK = Path.of("/usr/sbin/sanlock");

    private final Process process;
    private final Path runDir;

    private SanlockDaemonProcess(Process process, Path runDir) {
        this.process = process;
        this.runDir = runDir;
    }

    /** Starts a daemon with {@code runDir} (created) and waits (at most 10 s) until its socket accepts. */
    public static SanlockDaemonProcess start(Path runDir) throws Exception {
        if (!Files.isExecutable(SANLOCK)) {
            throw new IllegalStateException(SANLOCK + " is missing: install the Debian package 'sanlock'");
        }
        Files.createDirectories(runDir);
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        int gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
        ProcessBuilder pb = new ProcessBuilder(List.of(SANLOCK.toString(), "daemon", "-D", "-w", "0", "-l", "0",
                "-U", Integer.toString(uid), "-G", Integer.toString(gid)));
        pb.environment().put("SANLOCK_RUN_DIR", runDir.toString());
        pb.environment().put("SANLOCK_PRIVILEGED", "0");
        pb.redirectErrorStream(true).redirectOutput(runDir.resolve("daemon.log").toFile());
        SanlockDaemonProcess d = new SanlockDaemonProcess(pb.start(), runDir);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                if (!d.process.isAlive()) {
                    throw new IllegalStateException("sanlock daemon exited with " + d.process.exitValue() + ":\n" + d.log());
                }
                try (AFUNIXSocket s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(d.socket()))) {
                    return d;
                } catch (IOException e) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("sanlock daemon did not listen within 10 s: " + e + "\n" + d.log());
                    }
                    Thread.sleep(50);
                }
            }
        } catch (Exception | Error e) {
            d.close();
            throw e;
        }
    }

    /** The daemon's socket. */
    public Path socket() {
        return runDir.resolve("sanlock.sock");
    }

    /** Its run directory. */
    public Path runDir() {
        return runDir;
    }

    /** Its pid. */
    public long pid() {
        return process.pid();
    }

    /** What it printed. */
    public String log() {
        try {
            return Files.readString(runDir.resolve("daemon.log"));
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
        for (ProcessHandle c : children) {
            c.destroyForcibly();
            c.onExit().completeOnTimeout(c, 10, TimeUnit.SECONDS).join();
        }
    }
}

package io.jvirt.driver.qemu.lock;

import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real sanlock daemon as one "host" of a test, the way lockmanager-sanlock's tests run it:
 * in the foreground ({@code -D}) as a child, with its own run directory
 * ({@code SANLOCK_RUN_DIR}), unprivileged mode, no watchdog ({@code -w 0}), no mlockall
 * ({@code -l 0}), as the current user. Stopped by pid (it and its helper child) in {@link #close()}.
 */
final class SanlockHost implements AutoCloseable {
    static final Path SANLOCK = Path.of("/usr/sbin/sanlock");
    final Path runDir;
    private final Process process;

    private SanlockHost(Process process, Path runDir) {
        this.process = process;
        this.runDir = runDir;
    }

    static SanlockHost start(Path runDir) throws Exception {
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
        SanlockHost h = new SanlockHost(pb.start(), runDir);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                if (!h.process.isAlive()) {
                    throw new IllegalStateException("sanlock daemon exited with " + h.process.exitValue() + ": " + h.log());
                }
                try (AFUNIXSocket s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(h.socket()))) {
                    return h;
                } catch (IOException e) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("sanlock daemon did not listen within 10 s: " + e + "; " + h.log());
                    }
                    Thread.sleep(50);
                }
            }
        } catch (Exception | Error e) {
            h.close();
            throw e;
        }
    }

    Path socket() {
        return runDir.resolve("sanlock.sock");
    }

    String log() {
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

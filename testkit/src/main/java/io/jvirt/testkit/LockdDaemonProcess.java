package io.jvirt.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real jvirt-lockd daemon in its own JVM, for tests: started from the caller's class path (which
 * must hold lockmanager-lockd), ready once it prints its "ready" line, stopped by pid in
 * {@link #close()} (SIGTERM, then SIGKILL after 10 s).
 */
public final class LockdDaemonProcess implements AutoCloseable {
    private static final String MAIN = "io.jvirt.lock.lockd.LockdMain";

    private final Process process;
    private final Path socket;

    private LockdDaemonProcess(Process process, Path socket) {
        this.process = process;
        this.socket = socket;
    }

    /**
     * Starts the daemon on {@code socket} and waits (at most 30 s) until it serves.
     *
     * @param log   where its standard error goes (appended)
     * @param extra more command-line arguments (e.g. {@code --takeover})
     */
    public static LockdDaemonProcess start(Path socket, Path log, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), MAIN, "--socket", socket.toString()));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        LockdDaemonProcess d = new LockdDaemonProcess(p, socket);
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            try {
                return r.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        String line;
        try {
            line = ready.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            line = null;
        }
        if (line == null || !line.startsWith("jvirt-lockd ready")) {
            d.close();
            throw new IllegalStateException("jvirt-lockd did not start (" + line + "); see " + log);
        }
        Thread.ofVirtual().start(() -> {
            try {
                while (r.readLine() != null) {
                    // drain, so the daemon never blocks on a full pipe
                }
            } catch (IOException ignored) {
                // ended
            }
        });
        return d;
    }

    /** The daemon's process. */
    public Process process() {
        return process;
    }

    /** Its socket. */
    public Path socket() {
        return socket;
    }

    /** Its pid. */
    public long pid() {
        return process.pid();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}

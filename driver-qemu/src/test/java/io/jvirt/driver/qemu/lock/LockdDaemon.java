package io.jvirt.driver.qemu.lock;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.driver.qemu.monitor.QmpMonitor;
import io.jvirt.lock.lockd.LockdClient;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A real jvirt-lockd daemon in its own JVM for a test; stopped by pid in {@link #close()}. */
final class LockdDaemon implements AutoCloseable {
    final Process process;
    final Path socket;

    private LockdDaemon(Process process, Path socket) {
        this.process = process;
        this.socket = socket;
    }

    static LockdDaemon start(Path socket, Path log) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "io.jvirt.lock.lockd.LockdMain", "--socket", socket.toString());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        LockdDaemon d = new LockdDaemon(p, socket);
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
                    // drain
                }
            } catch (IOException ignored) {
                // ended
            }
        });
        return d;
    }

    /**
     * The names of the domains the daemon lists as holders of the lock named {@code lockName}
     * (a disk's path), asked over the daemon's own {@code list} command.
     */
    List<String> holders(String lockName) {
        try (LockdClient c = LockdClient.connect(socket, "list locks")) {
            JsonNode r = c.call(QmpMonitor.json().createObjectNode().put("cmd", "list"));
            Map<String, String> names = new HashMap<>();
            r.path("owners").forEach(o -> names.put(o.path("uuid").asText(), o.path("name").asText()));
            List<String> out = new java.util.ArrayList<>();
            for (JsonNode l : r.path("locks")) {
                if (l.path("name").asText().equals(lockName)) {
                    l.path("owners").forEach(u -> out.add(names.getOrDefault(u.asText(), u.asText())));
                }
            }
            return out;
        }
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

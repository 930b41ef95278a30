package io.jvirt.driver.qemu.caps;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.driver.qemu.monitor.QmpListener;
import io.jvirt.driver.qemu.monitor.QmpMonitor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Probes a QEMU binary: starts it with {@code -machine none} and a QMP socket, asks
 * {@code query-version}, {@code query-qmp-schema}, {@code query-machines}, {@code query-kvm} and
 * {@code query-cpu-definitions}, and stops it (by pid, also on failure).
 */
public final class CapsProbe {
    private CapsProbe() {
    }

    /**
     * Probes {@code binary}, using {@code workDir} (created if needed) for its socket and log.
     *
     * @throws VirtException {@code OPERATION_FAILED} naming the binary and what went wrong
     */
    public static QemuCaps probe(Path binary, Path workDir) {
        long t0 = System.nanoTime();
        long mtime;
        try {
            mtime = Files.getLastModifiedTime(binary).toMillis();
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot probe QEMU binary " + binary + ": " + e.getMessage(), e);
        }
        if (!Files.isExecutable(binary)) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "QEMU binary " + binary + " is not executable");
        }
        Path sock = workDir.resolve("probe-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".sock");
        Path log = workDir.resolve("probe.log");
        Process p;
        try {
            p = new ProcessBuilder(binary.toString(), "-machine", "none", "-nodefaults", "-display", "none",
                    "-no-user-config", "-qmp", "unix:" + sock + ",server=on,wait=off")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot start QEMU binary " + binary + ": " + e.getMessage(), e);
        }
        try (QmpMonitor mon = QmpMonitor.connect(sock, QmpListener.ignoring(),
                QmpMonitor.Options.defaults().withConnectTimeout(Duration.ofSeconds(30)), p::isAlive)) {
            JsonNode version = mon.execute("query-version");
            JsonNode schema = mon.execute("query-qmp-schema");
            JsonNode machines = mon.execute("query-machines");
            JsonNode kvm = mon.execute("query-kvm");
            JsonNode cpus = mon.execute("query-cpu-definitions");
            Set<String> commands = new TreeSet<>();
            Set<String> events = new TreeSet<>();
            for (JsonNode e : schema) {
                switch (e.path("meta-type").asText()) {
                    case "command" -> commands.add(e.path("name").asText());
                    case "event" -> events.add(e.path("name").asText());
                    default -> { }
                }
            }
            List<String> machineNames = new ArrayList<>();
            List<String> aliases = new ArrayList<>();
            String def = null;
            for (JsonNode m : machines) {
                String name = m.path("name").asText();
                machineNames.add(name);
                if (m.path("is-default").asBoolean(false)) {
                    def = name;
                }
                if (m.hasNonNull("alias")) {
                    aliases.add(m.get("alias").asText() + "=" + name);
                }
            }
            final String defaultMachine = def;
            machineNames.sort(Comparator.comparing((String n) -> !n.equals(defaultMachine)).thenComparing(n -> n));
            List<String> models = new ArrayList<>();
            for (JsonNode c : cpus) {
                models.add(c.path("name").asText());
            }
            models.sort(null);
            JsonNode q = version.path("qemu");
            return new QemuCaps(binary.toAbsolutePath().toString(), mtime, q.path("major").asInt(), q.path("minor").asInt(),
                    q.path("micro").asInt(), version.path("package").asText(""), machineNames, def, aliases, models,
                    commands, events, kvm.path("present").asBoolean(false),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        } catch (VirtException e) {
            throw new VirtException(e.code(), "probing QEMU binary " + binary + " failed: " + e.getMessage()
                    + logTail(log), e);
        } finally {
            p.destroyForcibly();
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                Files.deleteIfExists(sock);
            } catch (IOException e) {
                // a stale socket in the cache dir is harmless
            }
        }
    }

    private static String logTail(Path log) {
        try {
            String text = Files.readString(log).strip();
            return text.isEmpty() ? "" : " (QEMU said: " + (text.length() > 500 ? text.substring(text.length() - 500) : text) + ")";
        } catch (IOException e) {
            return "";
        }
    }
}

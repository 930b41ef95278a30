package io.jvirt.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guest agent through {@code bin/jvirsh} processes on {@code qemu:///embed}: {@code create
 * examples/tiny-guest.xml}, then {@code qemu-agent-command tiny guest-ping} in fresh JVMs. Each call
 * is a new driver instance that re-attaches to the running QEMU and opens the agent socket anew
 * (QEMU's agent chardev serves one client at a time, so the previous process's connection must
 * have gone with it). The domain is destroyed at the end, and its QEMU killed by pid if that fails.
 */
@Timeout(600)
class JvirshQemuAgentE2ETest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final Path JVIRSH = ROOT.resolve("bin/jvirsh");
    static final Path GUEST = Path.of("/var/cache/jvirt/test-guest/current");

    @TempDir
    Path dir;

    @BeforeAll
    @Timeout(900)
    static void buildIfNeeded() throws Exception {
        Proc.Result r = Proc.run(Duration.ofSeconds(880), Map.of(), List.of(JVIRSH.toString(), "-v"));
        assertEquals(0, r.status(), r.toString());
        assertTrue(Files.isRegularFile(GUEST.resolve("vmlinuz")), "examples/tiny-guest.xml names " + GUEST
                + ", which scripts/build-test-guest builds (as root)");
    }

    Proc.Result jvirsh(String uri, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(JVIRSH.toString(), "-c", uri));
        cmd.addAll(List.of(args));
        return Proc.run(Duration.ofSeconds(120), Map.of(), cmd);
    }

    @Test
    void createThenAgentCommandFromFreshProcesses() throws Exception {
        Path root = Files.createDirectories(dir.resolve("r"));
        String uri = "qemu:///embed?root=" + root;
        try {
            Proc.Result c = jvirsh(uri, "create", ROOT.resolve("examples/tiny-guest.xml").toString());
            assertEquals(0, c.status(), c.toString());
            // the first calls may come before the guest's agent is up: retry while it does not answer
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            Proc.Result ping;
            while (true) {
                ping = jvirsh(uri, "qemu-agent-command", "tiny", "--timeout", "3", "{\"execute\":\"guest-ping\"}");
                if (ping.status() == 0 || System.nanoTime() > deadline) {
                    break;
                }
                assertTrue(ping.err().contains("guest agent"), ping.toString());
            }
            assertEquals(0, ping.status(), ping.toString());
            assertEquals("{\"return\":{}}", ping.out().strip(), ping.toString());
            // twice more, each a new JVM: the agent socket is free again once the previous process exited
            for (int i = 0; i < 2; i++) {
                long t0 = System.nanoTime();
                Proc.Result again = jvirsh(uri, "qemu-agent-command", "tiny", "{\"execute\":\"guest-ping\"}");
                assertEquals(0, again.status(), again.toString());
                assertEquals("{\"return\":{}}", again.out().strip(), again.toString());
                assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos());
            }
            Proc.Result info = jvirsh(uri, "guestinfo", "tiny");
            assertEquals(0, info.status(), info.toString());
            assertTrue(info.out().contains("jvirt-test-guest"), info.toString());
            // QMP passthrough from a fresh JVM: QEMU's own reply, whole
            Proc.Result qmp = jvirsh(uri, "qemu-monitor-command", "tiny", "{\"execute\":\"query-status\"}");
            assertEquals(0, qmp.status(), qmp.toString());
            assertTrue(qmp.out().contains("\"status\":\"running\""), qmp.toString());
            Proc.Result bad = jvirsh(uri, "qemu-monitor-command", "tiny", "{\"execute\":\"no-such-command\"}");
            assertTrue(bad.out().contains("CommandNotFound"), bad.toString());
            Proc.Result d = jvirsh(uri, "destroy", "tiny");
            assertEquals(0, d.status(), d.toString());
        } finally {
            killLeftovers(root);
        }
    }

    /** Kills by pid any QEMU the embed root's status files still name (when the test failed midway). */
    static void killLeftovers(Path root) throws Exception {
        Path run = root.resolve("run");
        if (!Files.isDirectory(run)) {
            return;
        }
        try (Stream<Path> s = Files.list(run)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".status.json")).toList()) {
                var m = java.util.regex.Pattern.compile("\"pid\"\\s*:\\s*(\\d+)").matcher(Files.readString(f));
                if (m.find()) {
                    long pid = Long.parseLong(m.group(1));
                    ProcessHandle.of(pid).filter(h -> h.info().commandLine().orElse("").contains(root.toString()))
                            .ifPresent(h -> {
                                h.destroyForcibly();
                                h.onExit().orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join();
                            });
                }
            }
        }
    }
}

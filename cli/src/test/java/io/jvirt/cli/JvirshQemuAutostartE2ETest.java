package io.jvirt.cli;

import io.jvirt.testkit.FirmwareGuest;

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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Autostart through {@code bin/jvirsh} processes on {@code qemu:///embed} (each call a new JVM and
 * a new driver instance): the flagged domain starts at the first call after a "reboot" (removing
 * {@code ROOT/run/autostarted}) and only then; a domain the user destroyed stays off on later
 * calls; {@code list --autostart} / {@code --no-autostart} filter by the flag.
 */
@Timeout(600)
class JvirshQemuAutostartE2ETest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final Path JVIRSH = ROOT.resolve("bin/jvirsh");

    @TempDir
    Path dir;

    @BeforeAll
    @Timeout(900)
    static void buildIfNeeded() throws Exception {
        Proc.Result r = Proc.run(Duration.ofSeconds(880), Map.of(), List.of(JVIRSH.toString(), "-v"));
        assertEquals(0, r.status(), r.toString());
    }

    private Proc.Result jvirsh(String uri, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(JVIRSH.toString(), "-c", uri));
        cmd.addAll(List.of(args));
        Proc.Result r = Proc.run(Duration.ofSeconds(120), Map.of(), cmd);
        assertEquals(0, r.status(), String.join(" ", args) + ": " + r);
        return r;
    }

    private String state(String uri, String name) throws Exception {
        return jvirsh(uri, "domstate", name).out().strip();
    }

    private static String xml(String name) {
        return FirmwareGuest.xml(name);
    }

    @Test
    void flaggedDomainStartsOncePerBootFromSeparateProcesses() throws Exception {
        Path root = Files.createDirectories(dir.resolve("r"));
        String uri = "qemu:///embed?root=" + root;
        Path marker = root.resolve("run/autostarted");
        try {
            for (String name : List.of("auto", "manual")) {
                Path f = dir.resolve(name + ".xml");
                Files.writeString(f, xml(name));
                jvirsh(uri, "define", f.toString());
            }
            assertTrue(Files.isRegularFile(marker), "the first call claimed this boot's autostart");
            assertEquals("Domain 'auto' marked as autostarted", jvirsh(uri, "autostart", "auto").out().strip());
            assertTrue(jvirsh(uri, "dominfo", "auto").out().lines().anyMatch(l -> l.matches("Autostart:\\s+enable")));
            assertEquals("auto", jvirsh(uri, "list", "--all", "--autostart", "--name").out().strip());
            assertEquals("manual", jvirsh(uri, "list", "--all", "--no-autostart", "--name").out().strip());
            assertEquals("shut off", state(uri, "auto"), "flagging starts nothing, and the marker is already there");

            Files.delete(marker); // "reboot"
            jvirsh(uri, "list"); // the first call after it starts "auto" and waits for it before exiting
            assertEquals("running", state(uri, "auto"));
            assertEquals("shut off", state(uri, "manual"));
            assertEquals("auto", jvirsh(uri, "list", "--autostart", "--name").out().strip());

            jvirsh(uri, "destroy", "auto");
            assertEquals("shut off", state(uri, "auto"));
            assertEquals("shut off", state(uri, "auto"), "still off at the next call: once per boot");

            Files.delete(marker); // another "reboot"
            jvirsh(uri, "list");
            assertEquals("running", state(uri, "auto"));
            jvirsh(uri, "destroy", "auto");
            jvirsh(uri, "autostart", "--disable", "auto");
            assertFalse(Files.exists(root.resolve("etc/autostart/auto")));
            Files.delete(marker);
            jvirsh(uri, "list");
            assertEquals("shut off", state(uri, "auto"), "unflagged: not started after a reboot");
        } finally {
            JvirshQemuAgentE2ETest.killLeftovers(root);
        }
    }
}

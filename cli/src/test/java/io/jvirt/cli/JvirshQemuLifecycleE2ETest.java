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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The QEMU driver's everyday cycle through {@code bin/jvirsh} on a fresh {@code qemu:///embed} root,
 * every step its own JVM (so every step is a new driver instance that re-attaches to the running
 * QEMU from its status file): {@code define examples/tiny-guest.xml}, {@code start},
 * {@code domstate} running, {@code suspend} → paused, {@code resume} → running, {@code destroy} →
 * shut off, {@code undefine}. QEMU is killed by pid at the end if a step failed.
 */
@Timeout(600)
class JvirshQemuLifecycleE2ETest {
    @TempDir
    Path dir;

    @BeforeAll
    @Timeout(900)
    static void buildIfNeeded() throws Exception {
        JvirshQemuAgentE2ETest.buildIfNeeded();
    }

    private static Proc.Result jvirsh(String uri, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(JvirshQemuAgentE2ETest.JVIRSH.toString(), "-c", uri));
        cmd.addAll(List.of(args));
        return Proc.run(Duration.ofSeconds(120), Map.of(), cmd);
    }

    private static void ok(Proc.Result r) {
        assertEquals(0, r.status(), r.toString());
    }

    private static void state(String uri, String expected) throws Exception {
        Proc.Result r = jvirsh(uri, "domstate", "tiny");
        ok(r);
        assertEquals(expected, r.out().strip(), r.toString());
    }

    @Test
    void defineStartSuspendResumeDestroyEachFromAFreshProcess() throws Exception {
        Path root = Files.createDirectories(dir.resolve("r"));
        String uri = "qemu:///embed?root=" + root;
        try {
            Proc.Result def = jvirsh(uri, "define", JvirshQemuAgentE2ETest.ROOT.resolve("examples/tiny-guest.xml").toString());
            ok(def);
            assertTrue(def.out().contains("Domain 'tiny' defined"), def.toString());
            state(uri, "shut off");

            ok(jvirsh(uri, "start", "tiny"));
            state(uri, "running");
            Proc.Result list = jvirsh(uri, "list");
            ok(list);
            assertTrue(list.out().lines().anyMatch(l -> l.contains("tiny") && l.contains("running")), list.toString());

            ok(jvirsh(uri, "suspend", "tiny"));
            state(uri, "paused");
            ok(jvirsh(uri, "resume", "tiny"));
            state(uri, "running");

            ok(jvirsh(uri, "destroy", "tiny"));
            state(uri, "shut off");
            try (var files = Files.list(root.resolve("run"))) {
                assertFalse(files.anyMatch(p -> p.toString().endsWith(".status.json")), "no status file is left after destroy");
            }

            ok(jvirsh(uri, "undefine", "tiny"));
            Proc.Result gone = jvirsh(uri, "domstate", "tiny");
            assertEquals(1, gone.status(), gone.toString());
            assertTrue(gone.err().contains("tiny"), gone.toString());
        } finally {
            JvirshQemuAgentE2ETest.killLeftovers(root);
        }
    }
}

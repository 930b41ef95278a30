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
 * Runs {@code bin/jvirsh} as a process, the way a user does. Runs after {@code package} (see
 * cli/pom.xml), so the script finds the jar and class path file and starts java directly.
 */
@Timeout(300)
class JvirshE2ETest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final Path JVIRSH = ROOT.resolve("bin/jvirsh");

    @TempDir
    Path dir;

    /**
     * Normally the jar is fresh (this class runs after {@code package}); when it is not (say, a
     * {@code -Dtest=…} run in the test phase), the first call builds it and prints the build
     * notice, which the other tests must not see.
     */
    @BeforeAll
    @Timeout(900)
    static void buildIfNeeded() throws Exception {
        Proc.Result r = Proc.run(Duration.ofSeconds(880), Map.of(), List.of(JVIRSH.toString(), "-v"));
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.err().isEmpty() || r.err().matches("jvirsh: building \\([a-z ]+\\)\\.\\.\\.\n"), r.toString());
    }

    static Proc.Result jvirsh(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(JVIRSH.toString());
        cmd.addAll(List.of(args));
        return Proc.run(Duration.ofSeconds(240), Map.of(), cmd);
    }

    @Test
    void listAllShowsTheTestDomainRunning() throws Exception {
        Proc.Result r = jvirsh("-c", "test:///default", "list", "--all");
        assertEquals(0, r.status(), r.toString());
        assertEquals("", r.err(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(" Id   Name   State", lines.get(0), r.toString());
        assertEquals("----------------------", lines.get(1), r.toString());
        assertTrue(lines.get(2).matches(" [0-9]    test   running"), r.toString());
        assertEquals(4, lines.size(), r.toString());
        assertEquals("", lines.get(3));
    }

    @Test
    void unknownSchemeFailsNamingTheDrivers() throws Exception {
        Proc.Result r = jvirsh("-c", "nope:///x", "list");
        assertEquals(1, r.status(), r.toString());
        assertEquals("", r.out(), r.toString());
        assertEquals(1, r.err().lines().count(), r.toString());
        assertTrue(r.err().startsWith("error: "), r.toString());
        assertTrue(r.err().contains("nope:///x") && r.err().contains("test"), r.toString());
    }

    @Test
    void dumpxmlValidatesWithVirtXmlValidate() throws Exception {
        Proc.Result r = jvirsh("-c", "test:///default", "dumpxml", "test");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("<name>test</name>"), r.toString());
        Proc.assertValidates(r.out(), "domain");
    }

    @Test
    void malformedDefinitionsGiveOneLineErrors() throws Exception {
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "TOP-SECRET-CONTENT");
        Path broken = dir.resolve("broken.xml");
        Files.writeString(broken, "<domain type='test'><name>broken</name><memory>");
        Path xxe = dir.resolve("xxe.xml");
        Files.writeString(xxe, "<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY x SYSTEM 'file://" + secret + "'>]>\n"
                + JvirshTest.domainXml("&x;"));
        Path slash = dir.resolve("slash.xml");
        Files.writeString(slash, JvirshTest.domainXml("a/b"));
        Path huge = dir.resolve("huge.xml");
        try (var w = Files.newBufferedWriter(huge)) {
            w.write("<domain type='test'><name>huge</name><description>");
            String chunk = "y".repeat(1 << 20);
            for (int i = 0; i < 50; i++) {
                w.write(chunk);
            }
            w.write("</description></domain>");
        }
        for (Path f : List.of(broken, xxe, slash, huge)) {
            Proc.Result r = jvirsh("-c", "test:///default", "define", f.toString());
            assertEquals(1, r.status(), f + ": " + r);
            assertEquals("", r.out(), f + ": " + r);
            assertEquals(1, r.err().lines().count(), f + ": " + r);
            assertTrue(r.err().startsWith("error: Failed to define domain from " + f + ": "), f + ": " + r);
            assertFalse(r.err().contains("TOP-SECRET"), r.toString());
        }
    }

    @Test
    void versionFlagNeedsNoConnection() throws Exception {
        Proc.Result r = jvirsh("-v");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().matches("[0-9]+\\.[0-9]+\\.[0-9]+\n"), r.toString());
    }
}

package io.jvirt.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code scripts/lib/launch.sh}'s staleness check, which decides whether {@code bin/jvirsh} and
 * {@code scripts/bench} rebuild before starting: on a synthetic two-module tree with controlled
 * file times.
 */
class LaunchStalenessTest {
    static final Path LAUNCH = JvirshQemuAgentE2ETest.ROOT.resolve("scripts/lib/launch.sh");

    @TempDir
    Path root;

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private Path file(String rel, int minute) throws Exception {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        if (!Files.exists(p)) {
            Files.writeString(p, "x");
        }
        Files.setLastModifiedTime(p, FileTime.from(T0.plus(Duration.ofMinutes(minute))));
        return p;
    }

    private String stale() throws Exception {
        Proc.Result r = Proc.run(Duration.ofSeconds(20), Map.of(), List.of("bash", "-c",
                ". \"$1\"; _launch_stale \"$2\" app", "sh", LAUNCH.toString(), root.toString()));
        assertEquals(0, r.status(), r.toString());
        return r.out().strip();
    }

    /** app depends on lib; everything built at minute 10, the class path file written at minute 11. */
    private void builtTree() throws Exception {
        file("pom.xml", 1);
        file("app/pom.xml", 1);
        file("lib/pom.xml", 1);
        file("app/src/main/java/A.java", 2);
        file("lib/src/main/java/L.java", 2);
        file("app/target/jvirt-app-1.jar", 10);
        Path libJar = file("lib/target/jvirt-lib-1.jar", 10);
        Path cp = file("app/target/runtime.classpath", 11);
        Files.writeString(cp, libJar.toString());
        Files.setLastModifiedTime(cp, FileTime.from(T0.plus(Duration.ofMinutes(11))));
        // directories count as sources too (a file added or removed changes them): old ones
        try (var dirs = Files.walk(root)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                Files.setLastModifiedTime(d, FileTime.from(T0.plus(Duration.ofMinutes(2))));
            }
        }
    }

    @Test
    void upToDateTreeNeedsNoBuild() throws Exception {
        builtTree();
        assertEquals("", stale());
    }

    @Test
    void missingJarOrClassPathIsAFirstRun() throws Exception {
        builtTree();
        Files.delete(root.resolve("app/target/runtime.classpath"));
        assertEquals("first run", stale());
    }

    @Test
    void aChangedSourceOfADependencyRebuilds() throws Exception {
        builtTree();
        file("lib/src/main/java/L.java", 20);
        assertEquals("sources changed", stale());
    }

    @Test
    void aPomNewerThanTheClassPathRebuildsEvenWhenTheJarIsNewer() throws Exception {
        builtTree();
        // a dependency added to app's pom, then only app's jar rebuilt by another command: the
        // cached class path still misses the new jar
        file("app/pom.xml", 20);
        file("app/target/jvirt-app-1.jar", 30);
        assertEquals("dependencies may have changed", stale());
    }
}

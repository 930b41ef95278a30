package io.jvirt.driver.qemu.driver;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.StateReason;
import io.jvirt.api.Virt;
import io.jvirt.driver.qemu.QemuDriver;
import io.jvirt.driver.qemu.testutil.Embed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A driver JVM killed during a save: the next instance cancels the migration and resumes the guest. */
@Timeout(120)
class QemuSaveRecoveryTest {
    @TempDir
    Path root;
    @TempDir
    Path images;
    private Process child;

    @AfterEach
    void cleanup() throws Exception {
        if (child != null) {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
        Embed.killAll(root);
    }

    @Test
    void saveInterruptedByDriverDeathIsCancelledAndTheGuestResumed() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path image = images.resolve("sr.save");
        child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                SaveJvmMain.class.getName(), root.toString(), image.toString())
                .redirectError(root.resolve("child.err").toFile()).start();
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("READY")) {
                        ready.complete(line);
                    }
                }
                ready.completeExceptionally(new AssertionError("child ended without READY"));
            } catch (Exception e) {
                ready.completeExceptionally(e);
            }
        });
        ready.get(60, TimeUnit.SECONDS);
        List<Long> pids = Embed.pids(root);
        assertEquals(1, pids.size());
        String status = Files.readString(root.resolve("run/sr.status.json"));
        assertTrue(status.contains("\"api\" : \"save\"") && status.contains("migrating"), status);
        child.destroyForcibly(); // kill -9 the driver mid-save
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));

        try (Connection c = Virt.open(Embed.uri(root))) {
            Domain d = c.lookupDomainByName("sr");
            assertEquals(DomainState.RUNNING, d.state().state());
            assertEquals(StateReason.SAVE_CANCELED, d.state().reason());
            assertEquals(pids, Embed.pids(root), "same QEMU");
            String reply = c.unwrap(QemuDriver.class).qemuMonitorCommand(c.unwrap(QemuDriver.class).domains().byName("sr"),
                    "{\"execute\":\"query-status\"}", Duration.ofSeconds(5));
            assertTrue(reply.contains("\"running\""), reply);
            try (Stream<Path> s = Files.list(images)) {
                assertEquals(0, s.count(), "partial image removed, no image published");
            }
            assertTrue(!Files.readString(root.resolve("run/sr.status.json")).contains("\"save\""), "job record cleared");
            // controllable: a fresh save completes
            d.save(image);
            assertEquals(StateReason.SAVED, d.state().reason());
        }
    }
}

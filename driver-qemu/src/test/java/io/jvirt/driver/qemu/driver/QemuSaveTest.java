package io.jvirt.driver.qemu.driver;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Feature;
import io.jvirt.api.JobInfo;
import io.jvirt.api.StateReason;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import io.jvirt.driver.qemu.QemuDriver;
import io.jvirt.driver.qemu.testutil.Embed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Save and restore with real firmware-only TCG guests on an embed root. */
@Timeout(120)
class QemuSaveTest {
    /** Slow enough that a firmware-only guest's save lasts seconds. */
    static final long SLOW_BYTES_PER_SECOND = 32 * 1024;

    @TempDir
    Path root;
    @TempDir
    Path images;

    @AfterEach
    void killLeftovers() throws Exception {
        Embed.killAll(root);
    }

    private static CompletableFuture<Void> async(Runnable r) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                r.run();
                f.complete(null);
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    /** Waits until jobInfo shows the save with some memory counted. */
    private static JobInfo awaitProgress(Domain d, CompletableFuture<Void> save) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            JobInfo info = d.jobInfo();
            if ((info.type() == JobInfo.Type.BOUNDED || info.type() == JobInfo.Type.UNBOUNDED) && info.memTotal() > 0
                    && info.memProcessed() > 0) {
                return info;
            }
            if (save.isDone() || System.nanoTime() > end) {
                save.get(1, TimeUnit.SECONDS);
                throw new AssertionError("no progress shown: " + info);
            }
            Thread.sleep(20);
        }
    }

    private static long filesIn(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void saveThenRestore() throws Exception {
        try (Connection c = Virt.open(Embed.uri(root))) {
            assertTrue(c.capabilities().features().contains(Feature.SAVE), "SAVE claimed");
            assertTrue(c.capabilities().features().contains(Feature.JOBS), "JOBS claimed");
            Domain d = c.defineDomain(Embed.tinyXml("sv1"));
            d.start();
            Path img = images.resolve("sv1.save");
            long t0 = System.nanoTime();
            d.save(img);
            long saveMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(Files.size(img) > 4096, "image written");
            assertEquals(1, filesIn(images), "no temporary file left");
            assertEquals(DomainState.SHUTOFF, d.state().state());
            assertEquals(StateReason.SAVED, d.state().reason());
            assertEquals(JobInfo.Type.COMPLETED, d.jobInfo().type(), d.jobInfo().toString());
            assertTrue(Embed.pids(root).isEmpty(), "QEMU stopped");

            t0 = System.nanoTime();
            Domain r = c.restoreDomain(img);
            long restoreMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals("sv1", r.name());
            assertEquals(DomainState.RUNNING, r.state().state());
            assertEquals(StateReason.RESTORED, r.state().reason());
            String reply = c.unwrap(QemuDriver.class).qemuMonitorCommand(c.unwrap(QemuDriver.class).domains().byName("sv1"),
                    "{\"execute\":\"query-status\"}", java.time.Duration.ofSeconds(5));
            assertTrue(reply.contains("\"running\""), reply);
            System.out.println("save.ms " + saveMs + " restore.ms " + restoreMs + " image.bytes " + Files.size(img));
            r.destroy();
        }
    }

    @Test
    void slowSaveShowsProgressAndAbortResumes() throws Exception {
        try (Connection c = Virt.open(Embed.uri(root))) {
            c.unwrap(QemuDriver.class).setSaveBandwidth(SLOW_BYTES_PER_SECOND);
            Domain d = c.defineDomain(Embed.tinyXml("sv2"));
            d.start();
            Path img = images.resolve("sv2.save");
            CompletableFuture<Void> save = async(() -> d.save(img));
            JobInfo info = awaitProgress(d, save);
            assertEquals("save", info.operation().toLowerCase(), info.toString());
            assertEquals(DomainState.PAUSED, d.state().state());
            assertEquals(StateReason.SAVE, d.state().reason());
            assertFalse(save.isDone());
            long t0 = System.nanoTime();
            d.abortJob();
            ExecutionException e = assertThrows(ExecutionException.class, () -> save.get(10, TimeUnit.SECONDS));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            VirtException ve = assertInstanceOf(VirtException.class, e.getCause());
            assertEquals(ErrorCode.OPERATION_ABORTED, ve.code(), ve.toString());
            assertTrue(ms < 3000, "abort took " + ms + " ms");
            assertEquals(JobInfo.Type.CANCELLED, d.jobInfo().type());
            assertEquals(DomainState.RUNNING, d.state().state());
            assertEquals(StateReason.SAVE_CANCELED, d.state().reason());
            assertEquals(0, filesIn(images), "no partial image left");
            // still controllable, and a second save completes once the limit is lifted
            c.unwrap(QemuDriver.class).setSaveBandwidth(0);
            d.save(img);
            assertEquals(StateReason.SAVED, d.state().reason());
        }
    }

    @Test
    void destroyDuringSaveFailsItPromptly() throws Exception {
        try (Connection c = Virt.open(Embed.uri(root))) {
            c.unwrap(QemuDriver.class).setSaveBandwidth(SLOW_BYTES_PER_SECOND);
            Domain d = c.defineDomain(Embed.tinyXml("sv3"));
            d.start();
            Path img = images.resolve("sv3.save");
            CompletableFuture<Void> save = async(() -> d.save(img));
            awaitProgress(d, save);
            long t0 = System.nanoTime();
            d.destroy();
            ExecutionException e = assertThrows(ExecutionException.class, () -> save.get(10, TimeUnit.SECONDS));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms < 3000, "the save took " + ms + " ms to fail after destroy");
            VirtException ve = assertInstanceOf(VirtException.class, e.getCause());
            assertTrue(ve.getMessage().contains("destroyed"), ve.getMessage());
            assertEquals(DomainState.SHUTOFF, d.state().state());
            assertEquals(StateReason.DESTROYED, d.state().reason());
            assertEquals(JobInfo.Type.FAILED, d.jobInfo().type());
            assertEquals(0, filesIn(images), "no partial image left");
            assertTrue(Embed.pids(root).isEmpty());
        }
    }

    @Test
    void corruptAndTruncatedImagesFailNamingTheFile() throws Exception {
        try (Connection c = Virt.open(Embed.uri(root))) {
            Domain d = c.defineDomain(Embed.tinyXml("sv4"));
            d.start();
            Path img = images.resolve("sv4.save");
            d.save(img);
            d.undefine();
            byte[] all = Files.readAllBytes(img);

            Path garbage = images.resolve("garbage.save");
            Files.writeString(garbage, "not a save image at all");
            VirtException e1 = assertThrows(VirtException.class, () -> c.restoreDomain(garbage));
            assertTrue(e1.getMessage().contains(garbage.toString()) && e1.getMessage().contains("magic"), e1.getMessage());

            Path headerOnly = images.resolve("header.save");
            Files.write(headerOnly, java.util.Arrays.copyOf(all, 4096));
            VirtException e2 = assertThrows(VirtException.class, () -> c.restoreDomain(headerOnly));
            assertTrue(e2.getMessage().contains(headerOnly.toString()) && e2.getMessage().contains("truncated"),
                    e2.getMessage());

            Path cut = images.resolve("cut.save");
            Files.write(cut, java.util.Arrays.copyOf(all, 4096 + (all.length - 4096) / 2));
            VirtException e3 = assertThrows(VirtException.class, () -> c.restoreDomain(cut));
            assertTrue(e3.getMessage().contains(cut.toString()), e3.getMessage());

            Path flipped = images.resolve("flipped.save");
            byte[] bad = all.clone();
            for (int i = 4096; i < Math.min(bad.length, 4096 + 64); i++) {
                bad[i] = (byte) 0xA5;
            }
            Files.write(flipped, bad);
            VirtException e4 = assertThrows(VirtException.class, () -> c.restoreDomain(flipped));
            assertTrue(e4.getMessage().contains(flipped.toString()), e4.getMessage());

            assertTrue(Embed.pids(root).isEmpty(), "nothing left running");
            assertTrue(c.listDomains().stream().noneMatch(Domain::isActive), "no active domain");
            // the good image still restores
            Domain r = c.restoreDomain(img);
            assertEquals(StateReason.RESTORED, r.state().reason());
            r.destroy();
        }
    }
}

package io.jvirt.driver.vz;

import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.JobInfo;
import io.jvirt.api.MigrateOptions;
import io.jvirt.api.VirtException;
import io.jvirt.spi.DomainObj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The point of the three groups: a long group-2 job (a 10 s emulated migration) does not slow
 * group-1 calls, group-3 calls complete, group-2 calls wait and time out naming the holder, and
 * abort cancels the migration.
 */
@Timeout(60)
class VzResponsivenessTest {

    @Test
    void groupOneAnswersAtOnceWhileAMigrationRuns() throws Exception {
        try (VzFixture a = new VzFixture("vz:///sim?host=resp-a&latency.migrate=10000&jobWaitTimeoutMs=500");
             VzFixture b = new VzFixture("vz:///sim?host=resp-b")) {
            DomainObj d = a.running("busy");
            a.driver.createSnapshot(d, "<domainsnapshot><name>s0</name></domainsnapshot>");
            AtomicReference<Throwable> migrateError = new AtomicReference<>();
            Thread migrator = Thread.ofPlatform().name("migrator").start(() -> {
                try {
                    a.driver.migrate(d, b.driver, MigrateOptions.live());
                } catch (Throwable t) {
                    migrateError.set(t);
                }
            });
            VzFixture.waitFor(java.time.Duration.ofSeconds(5), () -> a.driver.jobInfo(d).type() == JobInfo.Type.BOUNDED
                    || a.driver.jobInfo(d).type() == JobInfo.Type.UNBOUNDED);
            long started = System.nanoTime();

            // group 1: cache only, measured over many calls for 2 s of the migration
            long[] nanos = new long[2_000_000];
            int n = 0;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            for (int i = 0; i < nanos.length && System.nanoTime() < until; i++, n++) {
                long t0 = System.nanoTime();
                switch (i % 8) {
                    case 0 -> a.driver.domains().byName("busy");
                    case 1 -> a.driver.info(d);
                    case 2 -> a.driver.xml(d, false);
                    case 3 -> a.driver.hasManagedSave(d);
                    case 4 -> a.driver.blockStats(d, "sda");
                    case 5 -> a.driver.memoryStats(d);
                    case 6 -> a.driver.jobInfo(d);
                    default -> a.driver.domains().byUuid(d.uuid()).status();
                }
                nanos[i] = System.nanoTime() - t0;
            }
            Arrays.sort(nanos, 0, n);
            double p99ms = nanos[(int) (n * 0.99)] / 1e6;
            assertTrue(n > 1000, "only " + n + " group-1 calls in 2 s");
            assertTrue(p99ms < 5, "group-1 p99 " + p99ms + " ms during a migration (" + n + " calls, max "
                    + nanos[n - 1] / 1e6 + " ms)");
            JobInfo info = a.driver.jobInfo(d);
            assertEquals("migration out", info.operation());
            assertTrue(info.memTotal() > 0 && info.memProcessed() > 0, info.toString());
            assertTrue(info.owner().contains("migrate"), info.owner());

            // group 3: no job, completes
            long g3 = System.nanoTime();
            assertEquals(1, a.driver.listSnapshots(d).size());
            assertEquals("s0", a.driver.snapshot(d, "s0").name());
            assertTrue(System.nanoTime() - g3 < TimeUnit.SECONDS.toNanos(1));

            // group 2: waits, then times out naming the holder
            long g2 = System.nanoTime();
            VirtException e = assertThrows(VirtException.class, () -> a.driver.suspend(d));
            long waitedMs = (System.nanoTime() - g2) / 1_000_000;
            assertEquals(ErrorCode.OPERATION_TIMEOUT, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("MIGRATION_OUT") && e.getMessage().contains("migrate")
                    && e.getMessage().contains("migrator"), e.getMessage());
            assertTrue(waitedMs >= 450 && waitedMs < 3000, "waited " + waitedMs + " ms");
            assertThrows(VirtException.class, () -> a.driver.setMemory(d, 4096));

            // everything above ran while the migration was still going
            assertTrue(migrator.isAlive());
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(9));

            // abort cancels it; the domain stays, running, on the source
            a.driver.abortJob(d);
            migrator.join(5000);
            assertFalse(migrator.isAlive());
            assertTrue(migrateError.get() instanceof VirtException ve && ve.code() == ErrorCode.OPERATION_ABORTED,
                    String.valueOf(migrateError.get()));
            assertEquals(JobInfo.Type.CANCELLED, a.driver.jobInfo(d).type());
            assertFalse(d.isRemoved());
            assertEquals(DomainState.RUNNING, d.state());
            assertEquals(0, b.driver.domains().size());
            a.driver.suspend(d);
            assertEquals(DomainState.PAUSED, d.state());
            assertEquals(0, a.sim.handleViolations());
        }
    }

    @Test
    void destroyGetsThroughAMigrationAndMakesItFail() throws Exception {
        try (VzFixture a = new VzFixture("vz:///sim?host=resp-c&latency.migrate=10000");
             VzFixture b = new VzFixture("vz:///sim?host=resp-d")) {
            DomainObj d = a.running("doomed");
            CompletableFuture<Void> mig = CompletableFuture.runAsync(() -> a.driver.migrate(d, b.driver, MigrateOptions.live()));
            VzFixture.waitFor(java.time.Duration.ofSeconds(5), () -> a.driver.jobInfo(d).type() == JobInfo.Type.BOUNDED);
            long t0 = System.nanoTime();
            a.driver.destroy(d);
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3));
            assertEquals(DomainState.SHUTOFF, d.state());
            Exception e = assertThrows(Exception.class, () -> mig.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof VirtException, e.toString());
            assertEquals(0, a.sim.handleViolations());
        }
    }

    @Test
    void anSdkJobThatNeverCompletesTimesOutWithoutHoldingTheLock() throws Exception {
        try (VzFixture f = new VzFixture("vz:///sim?sdkTimeoutMs=700&jobWaitTimeoutMs=200")) {
            DomainObj d = f.running("hung");
            f.sim.hangNext("pause");
            CompletableFuture<Void> call = CompletableFuture.runAsync(() -> f.driver.suspend(d));
            VzFixture.waitFor(java.time.Duration.ofSeconds(5), () -> f.sim.runningJobs() == 1);
            int taken = 0;
            while (!call.isDone()) {
                // another thread can take the domain lock at once while the SDK job hangs
                assertTrue(d.lockObject().tryLock(50, TimeUnit.MILLISECONDS), "domain lock held during an SDK wait");
                try {
                    taken++;
                } finally {
                    d.unlock();
                }
                f.driver.info(d);
                Thread.sleep(20);
            }
            assertTrue(taken >= 10, "lock taken " + taken + " times");
            Exception e = assertThrows(Exception.class, call::join);
            VirtException ve = (VirtException) e.getCause();
            assertEquals(ErrorCode.OPERATION_TIMEOUT, ve.code(), ve.getMessage());
            assertTrue(ve.getMessage().contains("pause") && ve.getMessage().contains("hung"), ve.getMessage());
            // the hung job was cancelled, the handle and the job are free again
            VzFixture.waitFor(java.time.Duration.ofSeconds(5), () -> f.sim.runningJobs() == 0);
            f.driver.suspend(d);
            assertEquals(DomainState.PAUSED, d.state());
            assertEquals(0, f.sim.handleViolations());
        }
    }
}

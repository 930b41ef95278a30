package io.jvirt.driver.vz;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.ShutdownMode;
import io.jvirt.api.VirtException;
import io.jvirt.driver.vz.cache.VzCache;
import io.jvirt.driver.vz.sdk.SdkSession;
import io.jvirt.driver.vz.sdk.VmInfo;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.SnapshotData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * 16 threads x 100 VMs of mixed group-1/2/3 calls, random SDK latencies and injected failures, for
 * a bounded time; checks invariants while running and after, and watches for deadlock
 * (ThreadMXBean plus a global deadline, with a thread dump on failure).
 */
@Timeout(120)
class VzStressTest {
    private static final int THREADS = 16;
    private static final int VMS = 100;
    private static final Duration RUN = Duration.ofMillis(Long.getLong("vz.stress.ms", 5000));
    private static final Set<ErrorCode> EXPECTED = EnumSet.of(ErrorCode.OPERATION_INVALID, ErrorCode.OPERATION_FAILED,
            ErrorCode.OPERATION_ABORTED, ErrorCode.OPERATION_TIMEOUT, ErrorCode.NO_DOMAIN_SNAPSHOT,
            ErrorCode.DOMAIN_EXISTS, ErrorCode.DEVICE_MISSING);

    @Test
    void mixedCallsKeepTheRules() throws Exception {
        try (VzFixture f = new VzFixture("vz:///sim?latency.random=0-3&jobWaitTimeoutMs=4000&statsPeriodMs=100")) {
            List<DomainObj> doms = new ArrayList<>();
            for (int i = 0; i < VMS; i++) {
                DomainObj d = f.define("stress-" + i);
                if (i % 2 == 0) {
                    f.driver.start(d);
                }
                doms.add(d);
            }
            for (String op : List.of("start", "stop", "shutdown", "pause", "resume", "memory", "snapshot", "revert",
                    "commit", "snapshots", "snapshot-delete", "restart")) {
                f.sim.failRate(op, 0.05);
            }
            f.sim.setLatency("snapshot", Duration.ZERO);
            f.sim.setRandomLatency(Duration.ZERO, Duration.ofMillis(3));

            AtomicReference<Throwable> unexpected = new AtomicReference<>();
            Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
            long end = System.nanoTime() + RUN.toNanos();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int me = t;
                workers.add(Thread.ofPlatform().name("stress-" + t).start(() -> {
                    int n = 0;
                    while (System.nanoTime() < end && unexpected.get() == null) {
                        DomainObj d = doms.get(ThreadLocalRandom.current().nextInt(VMS));
                        int op = ThreadLocalRandom.current().nextInt(20);
                        try {
                            call(f, d, op, "t" + me + "-" + n++);
                            counts.computeIfAbsent("ok", k -> new AtomicLong()).incrementAndGet();
                        } catch (VirtException e) {
                            if (!EXPECTED.contains(e.code())) {
                                unexpected.compareAndSet(null, new AssertionError("op " + op + " on " + d.name(), e));
                            }
                            counts.computeIfAbsent(e.code().name(), k -> new AtomicLong()).incrementAndGet();
                        } catch (Throwable e) {
                            unexpected.compareAndSet(null, new AssertionError("op " + op + " on " + d.name(), e));
                        }
                    }
                }));
            }
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long hardDeadline = end + Duration.ofSeconds(30).toNanos();
            while (workers.stream().anyMatch(Thread::isAlive)) {
                long[] dead = mx.findDeadlockedThreads();
                if (dead != null) {
                    fail("deadlock:\n" + dump(mx));
                }
                if (System.nanoTime() > hardDeadline) {
                    fail("workers still running 30 s after the end of the run:\n" + dump(mx));
                }
                // while running: a domain's cached state is consistent whenever its lock is held
                DomainObj d = doms.get(ThreadLocalRandom.current().nextInt(VMS));
                try (var l = d.locked()) {
                    assertEquals(d.isActive(), d.id() >= 0, "state and id disagree: " + d);
                }
                Thread.sleep(10);
            }
            if (unexpected.get() != null) {
                throw new AssertionError("unexpected failure; counts " + counts, unexpected.get());
            }
            assertTrue(counts.getOrDefault("ok", new AtomicLong()).get() > 500, "too few calls: " + counts);

            // after: no job left, cache agrees with the host, handles were used exclusively
            f.sim.clearFaults();
            f.settle();
            SdkSession sdk = f.driver.unwrap(SdkSession.class);
            for (DomainObj d : doms) {
                VmInfo truth = sdk.vmInfo(d.uuid()).await(Duration.ofSeconds(5));
                try (var l = d.locked()) {
                    assertNull(d.jobs().activeKind(), "job left on " + d);
                    assertNull(d.jobs().asyncKind(), "async job left on " + d);
                    assertEquals(VzCache.state(truth.state()), d.state(), "cache vs host for " + d);
                    var live = truth.liveConfig() != null ? truth.liveConfig() : truth.config();
                    assertEquals(live.currentMemoryKiB(), d.def().currentMemoryKiB(), "live memory of " + d);
                    assertEquals(truth.config().currentMemoryKiB(), d.inactiveDef().currentMemoryKiB(), "memory of " + d);
                    assertEquals(truth.state().isActive() ? truth.runId() : -1, d.id());
                }
            }
            assertEquals(0, f.sim.handleViolations(), "shared handle used concurrently");
            assertEquals(VMS, f.driver.domains().size());
            System.out.println("vz stress: " + counts);
        }
    }

    private static void call(VzFixture f, DomainObj d, int op, String tag) {
        VzDriver v = f.driver;
        switch (op) {
            case 0 -> v.start(d);
            case 1 -> v.destroy(d);
            case 2 -> v.suspend(d);
            case 3 -> v.resume(d);
            case 4 -> v.setMemory(d, 262144 + ThreadLocalRandom.current().nextInt(4) * 131072L);
            case 5 -> v.createSnapshot(d, "<domainsnapshot><name>" + tag + "</name></domainsnapshot>");
            case 6 -> {
                List<SnapshotData> s = v.listSnapshots(d);
                if (!s.isEmpty()) {
                    v.revertSnapshot(d, s.get(ThreadLocalRandom.current().nextInt(s.size())).name());
                }
            }
            case 7 -> {
                List<SnapshotData> s = v.listSnapshots(d);
                if (s.size() > 3) {
                    v.deleteSnapshot(d, s.getFirst().name());
                }
            }
            case 8 -> v.shutdown(d, ShutdownMode.DEFAULT);
            case 9 -> v.reboot(d, ShutdownMode.DEFAULT);
            case 10 -> v.define(VzFixture.def(d.name()));
            case 11 -> v.abortJob(d);
            case 12 -> v.setAutostart(d, ThreadLocalRandom.current().nextBoolean());
            default -> groupOne(v, d);
        }
    }

    private static void groupOne(VzDriver v, DomainObj d) {
        v.info(d);
        v.xml(d, false);
        v.jobInfo(d);
        v.hasManagedSave(d);
        v.domains().byName(d.name());
        if (d.isActive()) {
            try {
                v.blockStats(d, "sda");
                v.memoryStats(d);
            } catch (VirtException e) {
                if (e.code() != ErrorCode.OPERATION_INVALID) { // it stopped meanwhile
                    throw e;
                }
            }
        }
    }

    private static String dump(ThreadMXBean mx) {
        StringBuilder sb = new StringBuilder();
        for (ThreadInfo ti : mx.dumpAllThreads(true, true)) {
            sb.append(ti);
        }
        return sb.toString();
    }
}

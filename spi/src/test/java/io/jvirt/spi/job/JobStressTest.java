package io.jvirt.spi.job;

import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.StateReason;
import io.jvirt.api.VirtException;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DomainObjList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * N threads x M domains x mixed job operations for a bounded time ({@code -Djvirt.stress.seconds},
 * default 5), with the rules checked by independent bookkeeping and a deadlock watchdog.
 */
class JobStressTest {
    private static final int THREADS = Integer.getInteger("jvirt.stress.threads", 8);
    private static final int DOMAINS = Integer.getInteger("jvirt.stress.domains", 4);
    private static final long SECONDS = Long.getLong("jvirt.stress.seconds", 5);
    private static final JobKind[] NORMAL = {JobKind.QUERY, JobKind.QUERY, JobKind.MODIFY, JobKind.SUSPEND,
            JobKind.MIGRATION_OP, JobKind.MODIFY_MIGRATION_SAFE};

    /** Bookkeeping kept by the callers, independent of the job model's own state. */
    static final class Book {
        final AtomicInteger normal = new AtomicInteger();
        final AtomicInteger agent = new AtomicInteger();
        final AtomicInteger async = new AtomicInteger();
        /** The async job's mask as its owner last set it (written under the domain lock), or -1. */
        volatile int asyncMask = -1;
    }

    private final DomainObjList list = new DomainObjList();
    private final AtomicReferenceArray<DomainObj> doms = new AtomicReferenceArray<>(DOMAINS);
    private final Map<DomainObj, Book> books = new ConcurrentHashMap<>();
    private final List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong ops = new AtomicLong();
    private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();

    private DomainObj fresh(int i) {
        DomainObj d = list.addOrGet(TestDomains.def("stress-" + i + "-" + System.nanoTime()), true).domain();
        d.jobs().setConfig(JobConfig.DEFAULTS.withWaitTimeout(Duration.ofSeconds(20)).withMaxQueuedWaiters(0));
        try (var l = d.locked()) {
            d.setStatus(DomainState.RUNNING, StateReason.BOOTED);
        }
        books.put(d, new Book());
        return d;
    }

    private void violation(String s) {
        if (violations.size() < 20) { // the first ones say enough
            violations.add(s + " [" + Thread.currentThread().getName() + "]");
        }
    }

    private static void work(int maxMicros) {
        LockSupport.parkNanos(ThreadLocalRandom.current().nextInt(maxMicros + 1) * 1000L);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void mixedOperationsKeepTheRules() throws Exception {
        for (int i = 0; i < DOMAINS; i++) {
            doms.set(i, fresh(i));
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        List<Thread> threads = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(THREADS);
        for (int t = 0; t < THREADS; t++) {
            threads.add(Thread.ofPlatform().name("stress-" + t).unstarted(() -> {
                try {
                    while (System.nanoTime() < end && !Thread.currentThread().isInterrupted()) {
                        oneOperation();
                        ops.incrementAndGet();
                    }
                } catch (Throwable e) {
                    violation("unexpected " + e);
                } finally {
                    done.countDown();
                }
            }));
        }
        try (Watchdog dog = new Watchdog(end + TimeUnit.SECONDS.toNanos(60), threads)) {
            threads.forEach(Thread::start);
            boolean finished = done.await(SECONDS + 70, TimeUnit.SECONDS);
            if (dog.failure() != null) {
                fail(dog.failure());
            }
            if (!finished) {
                fail("stress threads did not finish\n" + Watchdog.dump());
            }
        }
        assertEquals(List.of(), violations, "rule violations");
        for (int i = 0; i < DOMAINS; i++) {
            DomainObj d = doms.get(i);
            try (var l = d.locked()) {
                assertEquals(0, d.jobs().waiting(), "every wait ended");
                assertNull(d.jobs().activeKind());
                assertNull(d.jobs().asyncKind());
                assertNull(d.jobs().agentKind());
            }
        }
        System.out.println("job stress: " + ops.get() + " operations in " + SECONDS + " s on " + THREADS + " threads x "
                + DOMAINS + " domains; outcomes " + outcomes);
        assertTrue(ops.get() > 100, "too few operations: " + ops.get());
        assertTrue(outcomes.containsKey("async"), "no async job ran: " + outcomes);
        assertTrue(outcomes.containsKey("admitted-during-async"), "no job ran during an async job: " + outcomes);
    }

    private void count(String what) {
        outcomes.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }

    private void oneOperation() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int slot = r.nextInt(DOMAINS);
        DomainObj d = doms.get(slot);
        Book book = books.get(d);
        int choice = r.nextInt(100);
        try {
            if (choice < 50) {
                normal(d, book, NORMAL[r.nextInt(NORMAL.length)]);
            } else if (choice < 62) {
                asyncJob(d, book);
            } else if (choice < 77) {
                agent(d, book);
            } else if (choice < 85) {
                abort(d);
            } else if (choice < 92) {
                destroyAndRestart(d, book);
            } else if (choice < 94) {
                removeAndReplace(slot, d);
            } else {
                normal(d, book, JobKind.QUERY);
            }
        } catch (VirtException e) {
            if (e.code() == ErrorCode.OPERATION_TIMEOUT) {
                violation("timeout: " + e.getMessage());
            }
            count(e.code().name());
        }
    }

    private void normal(DomainObj d, Book book, JobKind kind) {
        try (var l = d.locked(); Job job = d.jobs().begin(kind, "stress-" + kind)) {
            if (book.normal.incrementAndGet() != 1) {
                violation("two normal jobs on " + d.name());
            }
            int mask = book.asyncMask;
            if (mask != -1) {
                if ((mask & kind.bit) == 0) {
                    violation(kind + " admitted during an async job with mask " + JobKind.set(mask));
                }
                count("admitted-during-async");
            }
            try {
                if (d.isActive()) {
                    job.monitorVoid(() -> {
                        MonitorGuard.requireJob(d);
                        if (d.lockObject().isHeldByCurrentThread()) {
                            violation("lock held in monitor");
                        }
                        work(200);
                    });
                }
            } finally {
                book.normal.decrementAndGet();
            }
        }
    }

    private void asyncJob(DomainObj d, Book book) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        AsyncJobKind kind = AsyncJobKind.values()[r.nextInt(AsyncJobKind.values().length)];
        try (var l = d.locked(); AsyncJob job = d.jobs().beginAsync(kind, "stress-" + kind)) {
            if (book.async.incrementAndGet() != 1) {
                violation("two async jobs on " + d.name());
            }
            book.asyncMask = JobKind.bits(job.mask());
            count("async");
            ReentrantLock lk = d.lockObject();
            job.onCancel(() -> {
                if (lk.isHeldByCurrentThread()) {
                    violation("cancel hook ran with the lock held");
                }
            });
            try {
                for (int step = 0; step < 4; step++) {
                    if (r.nextInt(4) == 0) {
                        EnumSet<JobKind> m = EnumSet.noneOf(JobKind.class);
                        for (JobKind k : NORMAL) {
                            if (r.nextBoolean()) {
                                m.add(k);
                            }
                        }
                        job.setMask(m);
                        book.asyncMask = JobKind.bits(job.mask());
                    }
                    if (!d.isActive()) {
                        break;
                    }
                    try (Job nested = job.beginNested()) {
                        if (book.normal.incrementAndGet() != 1) {
                            violation("nested job beside another normal job on " + d.name());
                        }
                        try {
                            nested.monitorVoid(() -> {
                                MonitorGuard.requireJob(d);
                                work(200);
                            });
                        } finally {
                            book.normal.decrementAndGet();
                        }
                    }
                    job.setProgress(JobProgress.memory(4, step + 1));
                    job.pause(Duration.ofMillis(r.nextInt(3)));
                }
                job.complete();
            } finally {
                book.asyncMask = -1;
                book.async.decrementAndGet();
            }
        }
    }

    private void agent(DomainObj d, Book book) {
        try (var l = d.locked(); AgentJob job = d.jobs().beginAgent(AgentJobKind.QUERY, "stress-agent")) {
            if (book.agent.incrementAndGet() != 1) {
                violation("two agent jobs on " + d.name());
            }
            try {
                if (d.isActive()) {
                    job.agentVoid(() -> {
                        MonitorGuard.requireAgentJob(d);
                        work(300);
                    });
                }
            } finally {
                book.agent.decrementAndGet();
            }
        }
    }

    private void abort(DomainObj d) {
        try (var l = d.locked(); Job job = d.jobs().begin(JobKind.ABORT, "stress-abort")) {
            d.jobs().abortAsync("stress-abort");
            count("abort");
        }
    }

    private void destroyAndRestart(DomainObj d, Book book) {
        try (var l = d.locked(); Job job = d.jobs().begin(JobKind.DESTROY, "stress-destroy")) {
            if (book.normal.incrementAndGet() != 1) {
                violation("destroy beside another normal job on " + d.name());
            }
            d.setStatus(DomainState.SHUTOFF, StateReason.DESTROYED);
            book.normal.decrementAndGet();
            count("destroy");
        }
        try (var l = d.locked(); Job job = d.jobs().begin(JobKind.MODIFY, "stress-start")) {
            d.setStatus(DomainState.RUNNING, StateReason.BOOTED);
        }
    }

    private void removeAndReplace(int slot, DomainObj d) {
        try (var l = d.locked(); Job job = d.jobs().begin(JobKind.MODIFY, "stress-undefine")) {
            if (d.isRemoved()) {
                return;
            }
            list.remove(d);
            count("removed");
        }
        doms.compareAndSet(slot, d, fresh(slot));
    }

    @Test
    @Timeout(30)
    void watchdogReportsADeadlockWithAThreadDump() throws Exception {
        ReentrantLock a = new ReentrantLock();
        ReentrantLock b = new ReentrantLock();
        CountDownLatch both = new CountDownLatch(2);
        List<Thread> ts = new ArrayList<>();
        ts.add(Thread.ofPlatform().name("dl-1").unstarted(() -> cross(a, b, both)));
        ts.add(Thread.ofPlatform().name("dl-2").unstarted(() -> cross(b, a, both)));
        try (Watchdog dog = new Watchdog(System.nanoTime() + TimeUnit.SECONDS.toNanos(20), ts)) {
            ts.forEach(Thread::start);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (dog.failure() == null && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            String f = dog.failure();
            assertNotNull(f, "the watchdog missed a deadlock");
            assertTrue(f.startsWith("deadlock"), f);
            assertTrue(f.contains("\"dl-1\"") && f.contains("\"dl-2\""), f);
        }
        for (Thread t : ts) {
            t.join(5000);
        }
    }

    private static void cross(ReentrantLock first, ReentrantLock second, CountDownLatch both) {
        try {
            first.lockInterruptibly();
            try {
                both.countDown();
                both.await();
                second.lockInterruptibly();
                second.unlock();
            } finally {
                first.unlock();
            }
        } catch (InterruptedException e) {
            // released by the watchdog
        }
    }
}

package io.jvirt.tck.job;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.JobInfo;
import io.jvirt.api.VirtException;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.job.AgentJob;
import io.jvirt.spi.job.AgentJobKind;
import io.jvirt.spi.job.AsyncJob;
import io.jvirt.spi.job.AsyncJobKind;
import io.jvirt.spi.job.Job;
import io.jvirt.spi.job.JobKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job model's rules (docs/job-model.md), proven against a driver with real threads and real
 * timing. A driver's test extends this class and implements the hooks: a connection with a chosen
 * job wait timeout, a running domain, a long async job started through the public API (a slow
 * save, a migration to a slow peer, ...), and the driver's {@link DomainObj} behind a domain.
 *
 * <p>The long async job must admit only the default mask (QUERY, DESTROY, ABORT), last at least
 * {@link #LONG_JOB} unless cancelled, be cancellable by {@code abortJob()}, and fail when the
 * domain is destroyed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class JobModelSuite {
    /** How long the long async job must last at least. */
    protected static final Duration LONG_JOB = Duration.ofSeconds(3);

    private final List<Connection> opened = new ArrayList<>();

    /** A connection whose driver waits at most {@code jobWaitTimeout} for a job. */
    protected abstract Connection openConnection(Duration jobWaitTimeout);

    /** A new running domain named {@code name} on {@code conn}. */
    protected abstract Domain runningDomain(Connection conn, String name);

    /**
     * Starts a long async job (default mask, at least {@link #LONG_JOB}) on {@code dom} on another
     * thread through the public API; the future completes when the call returns or fails.
     */
    protected abstract CompletableFuture<?> startLongAsyncJob(Domain dom);

    /** The driver's domain object behind {@code dom}. */
    protected abstract DomainObj domainObject(Connection conn, Domain dom);

    /**
     * Makes a monitor call that blocks until {@code release} opens, signalling {@code entered} once
     * it blocks. The default takes a QUERY job on the domain object and blocks inside
     * {@link Job#monitor}; drivers with a real monitor override it to block inside their client.
     */
    protected void simulateMonitorCall(Connection conn, Domain dom, CountDownLatch entered, CountDownLatch release)
            throws Exception {
        DomainObj obj = domainObject(conn, dom);
        try (var l = obj.locked(); Job job = obj.jobs().begin(JobKind.QUERY, "tck-monitor")) {
            job.monitorVoid(() -> {
                entered.countDown();
                if (!release.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
            });
        }
    }

    /** The change the suite expects to wait for the long job: {@code suspend()} (not in the default mask). */
    protected void modify(Domain dom) {
        dom.suspend();
    }

    // ---- helpers ----

    private Connection open(Duration wait) {
        Connection c = openConnection(wait);
        opened.add(c);
        return c;
    }

    @AfterEach
    void closeConnections() {
        for (Connection c : opened) {
            try {
                c.close();
            } catch (RuntimeException e) {
                // best effort
            }
        }
        opened.clear();
    }

    private static <T> CompletableFuture<T> onThread(String name, Callable<T> c) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofVirtual().name(name).start(() -> {
            try {
                f.complete(c.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    /** Starts the long job and waits until {@code jobInfo()} shows it running. */
    private CompletableFuture<?> longJob(Domain dom) throws InterruptedException {
        CompletableFuture<?> f = startLongAsyncJob(dom);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            JobInfo.Type t = dom.jobInfo().type();
            if (t == JobInfo.Type.BOUNDED || t == JobInfo.Type.UNBOUNDED) {
                return f;
            }
            if (f.isDone() || System.nanoTime() > end) {
                throw new AssertionError("the long async job did not show in jobInfo() (done=" + f.isDone() + ", info="
                        + dom.jobInfo() + ")");
            }
            Thread.sleep(5);
        }
    }

    private static VirtException failure(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        return assertInstanceOf(VirtException.class, e.getCause(), "the async job failed with " + e.getCause());
    }

    private static void cleanUp(Domain dom, CompletableFuture<?> job) {
        try {
            if (!job.isDone()) {
                try {
                    dom.abortJob();
                } catch (VirtException e) {
                    if (e.code() != ErrorCode.OPERATION_INVALID) {   // else the job ended meanwhile
                        throw e;
                    }
                }
            }
            job.handle((r, t) -> null).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("could not end the long job", e);
        }
    }

    private static long millis(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    // ---- the rules ----

    /** Rule 4: queries never wait for a long async job. */
    @Test
    void queriesAnswerWhileLongAsyncJobRuns() throws Exception {
        Connection conn = open(Duration.ofSeconds(30));
        Domain dom = runningDomain(conn, "tck-job-query");
        CompletableFuture<?> job = longJob(dom);
        try {
            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                assertTrue(dom.info().state().isActive());
                JobInfo info = dom.jobInfo();
                dom.state();
                dom.xml();
                assertTrue(millis(t0) < 1000, "queries took " + millis(t0) + " ms during the async job");
                assertFalse(info.operation().isEmpty(), "jobInfo names the operation: " + info);
                assertFalse(info.owner().isEmpty(), "jobInfo names the owner: " + info);
            }
            assertFalse(job.isDone(), "the long job ended too soon");
        } finally {
            cleanUp(dom, job);
        }
    }

    /** Rules 3 and 8: a change outside the mask waits for the async job and times out naming it. */
    @Test
    void modifyWaitsForAsyncJobAndTimesOutNamingTheHolder() throws Exception {
        Connection conn = open(Duration.ofMillis(700));
        Domain dom = runningDomain(conn, "tck-job-modify");
        CompletableFuture<?> job = longJob(dom);
        try {
            long t0 = System.nanoTime();
            VirtException e = assertThrows(VirtException.class, () -> modify(dom));
            long waited = millis(t0);
            assertEquals(ErrorCode.OPERATION_TIMEOUT, e.code(), e.toString());
            assertTrue(e.getMessage().contains("cannot acquire state change lock"), e.getMessage());
            assertTrue(e.getMessage().contains("async job="), "names the async job: " + e.getMessage());
            assertTrue(e.getMessage().contains("thread="), "names the owner thread: " + e.getMessage());
            assertTrue(waited >= 600, "gave up after only " + waited + " ms");
            assertFalse(job.isDone());
        } finally {
            cleanUp(dom, job);
        }
    }

    /** Rule 10: abortJob() cancels the async job, which fails promptly; the domain keeps running. */
    @Test
    void abortCancelsTheAsyncJob() throws Exception {
        Connection conn = open(Duration.ofSeconds(30));
        Domain dom = runningDomain(conn, "tck-job-abort");
        CompletableFuture<?> job = longJob(dom);
        long t0 = System.nanoTime();
        dom.abortJob();
        VirtException e = failure(job);
        assertTrue(millis(t0) < 2000, "the job took " + millis(t0) + " ms to end after abort");
        assertEquals(ErrorCode.OPERATION_ABORTED, e.code(), e.toString());
        assertEquals(JobInfo.Type.CANCELLED, dom.jobInfo().type(), "last job: " + dom.jobInfo());
        assertTrue(dom.isActive());
        VirtException none = assertThrows(VirtException.class, dom::abortJob);
        assertEquals(ErrorCode.OPERATION_INVALID, none.code());
    }

    /** Rule 10: destroy gets through any async job, and the async job fails with a clear reason. */
    @Test
    void destroyGetsThroughAndTheAsyncJobFails() throws Exception {
        Connection conn = open(Duration.ofSeconds(30));
        Domain dom = runningDomain(conn, "tck-job-destroy");
        CompletableFuture<?> job = longJob(dom);
        long t0 = System.nanoTime();
        dom.destroy();
        assertTrue(millis(t0) < 2000, "destroy took " + millis(t0) + " ms");
        VirtException e = failure(job);
        assertTrue(millis(t0) < 4000, "the async job took " + millis(t0) + " ms to fail after destroy");
        assertFalse(e.getMessage().isBlank());
        assertFalse(dom.isActive());
        assertEquals(JobInfo.Type.FAILED, dom.jobInfo().type(), "last job: " + dom.jobInfo());
    }

    /** Rule 5: a nested job of an async job waits for the normal job in progress. */
    @Test
    void nestedJobWaitsForRunningNormalJob() throws Exception {
        Connection conn = open(Duration.ofSeconds(30));
        Domain dom = runningDomain(conn, "tck-job-nested");
        DomainObj obj = domainObject(conn, dom);
        AsyncJob async;
        try (var l = obj.locked()) {
            async = obj.jobs().beginAsync(AsyncJobKind.DUMP, "tck-dump");
        }
        try {
            CountDownLatch queryHeld = new CountDownLatch(1);
            CountDownLatch releaseQuery = new CountDownLatch(1);
            CompletableFuture<Object> query = onThread("tck-query", () -> {
                try (var l = obj.locked(); Job j = obj.jobs().begin(JobKind.QUERY, "tck-query")) {
                    queryHeld.countDown();
                    j.monitorVoid(() -> releaseQuery.await(10, TimeUnit.SECONDS));
                }
                return null;
            });
            assertTrue(queryHeld.await(10, TimeUnit.SECONDS));
            AtomicReference<JobKind> seenByNested = new AtomicReference<>();
            CompletableFuture<Object> nested = onThread("tck-nested", () -> {
                try (var l = obj.locked(); Job n = async.beginNested()) {
                    seenByNested.set(obj.jobs().activeKind());
                }
                return null;
            });
            Thread.sleep(300);
            assertFalse(nested.isDone(), "the nested job did not wait for the query");
            releaseQuery.countDown();
            query.get(10, TimeUnit.SECONDS);
            nested.get(10, TimeUnit.SECONDS);
            assertEquals(JobKind.NESTED, seenByNested.get());
        } finally {
            async.close();
        }
    }

    /** Rule 3: two async jobs on one domain run one after the other. */
    @Test
    void twoAsyncJobsSerialise() throws Exception {
        Connection conn = open(Duration.ofSeconds(30));
        Domain dom = runningDomain(conn, "tck-job-two-async");
        DomainObj obj = domainObject(conn, dom);
        CompletableFuture<?> first = longJob(dom);
        try {
            CompletableFuture<AsyncJobKind> second = onThread("tck-second-async", () -> {
                try (var l = obj.locked(); AsyncJob j = obj.jobs().beginAsync(AsyncJobKind.SNAPSHOT, "tck-snapshot")) {
                    j.complete();
                    return obj.jobs().asyncKind();
                }
            });
            Thread.sleep(300);
            assertFalse(second.isDone(), "a second async job began while the first runs");
            dom.abortJob();
            assertEquals(AsyncJobKind.SNAPSHOT, second.get(10, TimeUnit.SECONDS));
            // the first call returns only after its async job has ended (and let the second begin):
            // wait for it rather than expect it done already; it ended by the abort
            assertEquals(ErrorCode.OPERATION_ABORTED, failure(first).code());
        } finally {
            cleanUp(dom, first);
        }
    }

    /** Rule 7: one caller never holds an agent job and a normal job; agent jobs run beside normal ones. */
    @Test
    void agentAndNormalJobsAreNotHeldTogether() throws Exception {
        Connection conn = open(Duration.ofSeconds(30));
        Domain dom = runningDomain(conn, "tck-job-agent");
        DomainObj obj = domainObject(conn, dom);
        try (var l = obj.locked(); Job j = obj.jobs().begin(JobKind.MODIFY, "tck-modify")) {
            assertThrows(IllegalStateException.class, () -> obj.jobs().beginAgent(AgentJobKind.QUERY, "tck-agent"));
            CompletableFuture<AgentJobKind> other = onThread("tck-agent", () -> {
                try (var l2 = obj.locked(); AgentJob a = obj.jobs().beginAgent(AgentJobKind.QUERY, "tck-agent")) {
                    return a.kind();
                }
            });
            obj.unlock();
            try {
                assertEquals(AgentJobKind.QUERY, other.get(5, TimeUnit.SECONDS),
                        "an agent job on another thread waited for the normal job");
            } finally {
                obj.lock();
            }
        }
        try (var l = obj.locked(); AgentJob a = obj.jobs().beginAgent(AgentJobKind.MODIFY, "tck-agent")) {
            assertThrows(IllegalStateException.class, () -> obj.jobs().begin(JobKind.QUERY, "tck-query"));
        }
    }

    /** Rule 1: the domain lock is free while a monitor call blocks; queries answer meanwhile. */
    @Test
    void domainLockIsFreeWhileMonitorCallBlocks() throws Exception {
        Connection conn = open(Duration.ofSeconds(30));
        Domain dom = runningDomain(conn, "tck-job-monitor");
        DomainObj obj = domainObject(conn, dom);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Object> call = onThread("tck-monitor", () -> {
            simulateMonitorCall(conn, dom, entered, release);
            return null;
        });
        try {
            assertTrue(entered.await(10, TimeUnit.SECONDS), "the monitor call did not start");
            boolean locked = onThread("tck-locker", () -> {
                boolean got = obj.lockObject().tryLock(2, TimeUnit.SECONDS);
                if (got) {
                    obj.unlock();
                }
                return got;
            }).get(10, TimeUnit.SECONDS);
            assertTrue(locked, "the domain lock was held across the monitor call");
            long t0 = System.nanoTime();
            assertNotEquals(null, dom.info());
            assertTrue(millis(t0) < 1000, "info() waited " + millis(t0) + " ms for the monitor call");
        } finally {
            release.countDown();
        }
        call.get(10, TimeUnit.SECONDS);
    }
}

package io.jvirt.spi.job;

import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.JobInfo;
import io.jvirt.api.StateReason;
import io.jvirt.api.VirtException;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DomainObjList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.jvirt.spi.job.TestDomains.async;
import static io.jvirt.spi.job.TestDomains.eventually;
import static io.jvirt.spi.job.TestDomains.running;
import static io.jvirt.spi.job.TestDomains.waiting;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class DomainJobsTest {

    private static VirtException cause(ExecutionException e) {
        return assertInstanceOf(VirtException.class, e.getCause());
    }

    @Test
    void normalJobsSerialise() throws Exception {
        DomainObj dom = running("a");
        Job first;
        try (var l = dom.locked()) {
            first = dom.jobs().begin(JobKind.MODIFY, "suspend");
        }
        CompletableFuture<JobKind> second = async(() -> {
            try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.QUERY, "blockStats")) {
                return dom.jobs().activeKind();
            }
        });
        eventually(() -> waiting(dom) == 1, "the query to wait");
        assertFalse(second.isDone());
        first.close();
        assertEquals(JobKind.QUERY, second.get(5, TimeUnit.SECONDS));
        try (var l = dom.locked()) {
            assertNull(dom.jobs().activeKind());
        }
    }

    @Test
    void beginWithoutLockFailsLoudly() {
        DomainObj dom = running("a");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> dom.jobs().begin(JobKind.QUERY, "x"));
        assertTrue(e.getMessage().contains("lock the domain"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> {
            try (var l = dom.locked()) {
                dom.jobs().begin(JobKind.NESTED, "x");
            }
        });
    }

    @Test
    void sameThreadTwiceFailsInsteadOfDeadlocking() {
        DomainObj dom = running("a");
        try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.MODIFY, "suspend")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> dom.jobs().begin(JobKind.QUERY, "x"));
            assertTrue(e.getMessage().contains("already holds job MODIFY (suspend)"), e.getMessage());
        }
    }

    @Test
    void timeoutNamesTheHolder() throws Exception {
        DomainObj dom = running("a", Duration.ofMillis(300));
        Thread.currentThread().setName("holder-thread");
        try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.MODIFY, "suspend")) {
            CompletableFuture<Object> f = async(() -> {
                try (var l2 = dom.locked(); Job j2 = dom.jobs().begin(JobKind.MODIFY, "resume")) {
                    return null;
                }
            });
            // release the lock while the other waits
            dom.unlock();
            try {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
                VirtException v = cause(e);
                assertEquals(ErrorCode.OPERATION_TIMEOUT, v.code());
                assertTrue(v.getMessage().startsWith("cannot acquire state change lock (held by job=MODIFY api=suspend "
                        + "thread=holder-thread for "), v.getMessage());
                assertTrue(v.getMessage().contains("MODIFY job (resume)"), v.getMessage());
            } finally {
                dom.lock();
            }
        }
    }

    @Test
    void queriesRunDuringAsyncJobModifyWaitsAndTimesOut() throws Exception {
        DomainObj dom = running("a", Duration.ofMillis(300));
        AsyncJob save;
        try (var l = dom.locked()) {
            save = dom.jobs().beginAsync(AsyncJobKind.SAVE, "save");
        }
        try {
            assertEquals(JobKind.QUERY, async(() -> {
                try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.QUERY, "info")) {
                    return j.kind();
                }
            }).get(5, TimeUnit.SECONDS));
            ExecutionException e = assertThrows(ExecutionException.class, () -> async(() -> {
                try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.MODIFY, "setMemory")) {
                    return j;
                }
            }).get(5, TimeUnit.SECONDS));
            assertEquals(ErrorCode.OPERATION_TIMEOUT, cause(e).code());
            assertTrue(cause(e).getMessage().contains("async job=SAVE api=save"), cause(e).getMessage());
        } finally {
            save.close();
        }
        try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.MODIFY, "setMemory")) {
            assertEquals(JobKind.MODIFY, dom.jobs().activeKind());
        }
    }

    @Test
    void masksFollowTheRules() {
        EnumSet<JobKind> def = EnumSet.of(JobKind.QUERY, JobKind.DESTROY, JobKind.ABORT);
        assertEquals(def, AsyncJobKind.SAVE.defaultMask());
        assertEquals(def, AsyncJobKind.DUMP.defaultMask());
        assertEquals(def, AsyncJobKind.RESTORE.defaultMask());
        assertEquals(def, AsyncJobKind.START.defaultMask());
        assertEquals(plus(def, JobKind.SUSPEND, JobKind.MIGRATION_OP, JobKind.MODIFY_MIGRATION_SAFE),
                AsyncJobKind.MIGRATION_OUT.defaultMask());
        assertEquals(plus(def, JobKind.MODIFY_MIGRATION_SAFE), AsyncJobKind.MIGRATION_IN.defaultMask());
        assertEquals(plus(def, JobKind.SUSPEND, JobKind.MIGRATION_OP), AsyncJobKind.SNAPSHOT.defaultMask());
        assertEquals(plus(def, JobKind.SUSPEND, JobKind.MODIFY), AsyncJobKind.BACKUP.defaultMask());
    }

    private static EnumSet<JobKind> plus(EnumSet<JobKind> base, JobKind... more) {
        EnumSet<JobKind> s = EnumSet.copyOf(base);
        s.addAll(java.util.List.of(more));
        return s;
    }

    @Test
    void widenedMaskAdmitsWaiterAndNarrowKeepsQueryAndDestroy() throws Exception {
        DomainObj dom = running("a");
        try (var l = dom.locked(); AsyncJob job = dom.jobs().beginAsync(AsyncJobKind.SAVE, "save")) {
            job.setMask(EnumSet.noneOf(JobKind.class));
            assertEquals(EnumSet.of(JobKind.QUERY, JobKind.DESTROY), job.mask());
            CompletableFuture<JobKind> f = async(() -> {
                try (var l2 = dom.locked(); Job j = dom.jobs().begin(JobKind.SUSPEND, "suspend")) {
                    return j.kind();
                }
            });
            dom.unlock();
            try {
                eventually(() -> waiting(dom) == 1, "suspend to wait");
            } finally {
                dom.lock();
            }
            job.allow(JobKind.SUSPEND);
            dom.unlock();
            try {
                assertEquals(JobKind.SUSPEND, f.get(5, TimeUnit.SECONDS));
            } finally {
                dom.lock();
            }
        }
    }

    @Test
    void asyncOwnerMustUseNestedJob() {
        DomainObj dom = running("a");
        try (var l = dom.locked(); AsyncJob job = dom.jobs().beginAsync(AsyncJobKind.SAVE, "save")) {
            assertThrows(IllegalStateException.class, () -> dom.jobs().begin(JobKind.MODIFY, "x"));
            try (Job nested = job.beginNested()) {
                assertEquals(JobKind.NESTED, nested.kind());
                assertEquals(job, nested.parent());
                assertEquals(Boolean.TRUE, nested.monitor(() -> dom.jobs().activeKind() == null || !dom.isLockedByCurrentThread()));
            }
        }
    }

    @Test
    void nestedJobWaitsForRunningNormalJob() throws Exception {
        DomainObj dom = running("a");
        AsyncJob mig;
        try (var l = dom.locked()) {
            mig = dom.jobs().beginAsync(AsyncJobKind.MIGRATION_OUT, "migrate");
        }
        CountDownLatch suspended = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Object> suspender = async(() -> {
            try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.SUSPEND, "suspend")) {
                suspended.countDown();
                j.monitorVoid(() -> release.await(5, TimeUnit.SECONDS));
            }
            return null;
        });
        assertTrue(suspended.await(5, TimeUnit.SECONDS));
        CompletableFuture<JobKind> nested = async(() -> {
            try (var l = dom.locked(); Job n = mig.beginNested()) {
                return n.kind();
            }
        });
        eventually(() -> waiting(dom) == 1, "nested to wait");
        assertFalse(nested.isDone());
        release.countDown();
        assertEquals(JobKind.NESTED, nested.get(5, TimeUnit.SECONDS));
        suspender.get(5, TimeUnit.SECONDS);
        mig.close();
        try (var l = dom.locked()) {
            VirtException e = assertThrows(VirtException.class, mig::beginNested);
            assertEquals(ErrorCode.OPERATION_INVALID, e.code());
            assertTrue(e.getMessage().contains("no longer running"), e.getMessage());
        }
    }

    @Test
    void twoAsyncJobsSerialise() throws Exception {
        DomainObj dom = running("a");
        AsyncJob first;
        try (var l = dom.locked()) {
            first = dom.jobs().beginAsync(AsyncJobKind.SAVE, "save");
        }
        CompletableFuture<AsyncJobKind> second = async(() -> {
            try (var l = dom.locked(); AsyncJob j = dom.jobs().beginAsync(AsyncJobKind.DUMP, "dump")) {
                j.complete();
                return dom.jobs().asyncKind();
            }
        });
        eventually(() -> waiting(dom) == 1, "the dump to wait");
        first.complete();
        first.close();
        assertEquals(AsyncJobKind.DUMP, second.get(5, TimeUnit.SECONDS));
        assertEquals(JobInfo.Type.COMPLETED, dom.jobs().info().type());
        assertEquals("dump", dom.jobs().info().operation());
    }

    @Test
    void abortRunsHookWakesPauseAndRecordsCancelled() throws Exception {
        DomainObj dom = running("a");
        AtomicBoolean hookRanUnlocked = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Object> saver = async(() -> {
            try (var l = dom.locked(); AsyncJob job = dom.jobs().beginAsync(AsyncJobKind.SAVE, "save")) {
                job.onCancel(() -> hookRanUnlocked.set(!dom.isLockedByCurrentThread()));
                job.setProgress(JobProgress.memory(1000, 10));
                started.countDown();
                job.pause(Duration.ofSeconds(20));
                job.complete();
            }
            return null;
        });
        assertTrue(started.await(5, TimeUnit.SECONDS));
        JobInfo running = dom.jobs().info();
        assertEquals(JobInfo.Type.BOUNDED, running.type());
        assertEquals(1000, running.dataTotal());
        assertTrue(running.owner().contains("api=save"), running.owner());
        long t0 = System.nanoTime();
        try (var l = dom.locked(); Job abort = dom.jobs().begin(JobKind.ABORT, "abortJob")) {
            assertEquals(AsyncJobKind.SAVE, dom.jobs().abortAsync("abortJob"));
        }
        ExecutionException e = assertThrows(ExecutionException.class, () -> saver.get(5, TimeUnit.SECONDS));
        assertEquals(ErrorCode.OPERATION_ABORTED, cause(e).code());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3));
        assertTrue(hookRanUnlocked.get());
        JobInfo last = dom.jobs().info();
        assertEquals(JobInfo.Type.CANCELLED, last.type());
        assertTrue(last.errorMessage().contains("cancelled by abortJob"), last.errorMessage());
        try (var l = dom.locked(); Job abort = dom.jobs().begin(JobKind.ABORT, "abortJob")) {
            assertEquals(ErrorCode.OPERATION_INVALID, assertThrows(VirtException.class,
                    () -> dom.jobs().abortAsync("abortJob")).code());
        }
    }

    @Test
    void destroyGetsThroughAndAsyncJobFails() throws Exception {
        DomainObj dom = running("a");
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean hook = new AtomicBoolean();
        CompletableFuture<Object> saver = async(() -> {
            try (var l = dom.locked(); AsyncJob job = dom.jobs().beginAsync(AsyncJobKind.SAVE, "save")) {
                job.setMask(EnumSet.noneOf(JobKind.class)); // even a narrowed mask admits destroy
                job.onCancel(() -> hook.set(true));
                started.countDown();
                job.pause(Duration.ofSeconds(20));
            }
            return null;
        });
        assertTrue(started.await(5, TimeUnit.SECONDS));
        try (var l = dom.locked(); Job d = dom.jobs().begin(JobKind.DESTROY, "destroy")) {
            dom.setStatus(DomainState.SHUTOFF, StateReason.DESTROYED);
        }
        ExecutionException e = assertThrows(ExecutionException.class, () -> saver.get(5, TimeUnit.SECONDS));
        assertEquals(ErrorCode.OPERATION_INVALID, cause(e).code());
        assertTrue(cause(e).getMessage().contains("destroyed during the save job"), cause(e).getMessage());
        assertTrue(hook.get());
        assertEquals(JobInfo.Type.FAILED, dom.jobs().info().type());
    }

    @Test
    void agentAndNormalJobsAreNeverHeldTogether() {
        DomainObj dom = running("a");
        try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.MODIFY, "x")) {
            assertThrows(IllegalStateException.class, () -> dom.jobs().beginAgent(AgentJobKind.QUERY, "fsinfo"));
        }
        try (var l = dom.locked(); AgentJob a = dom.jobs().beginAgent(AgentJobKind.MODIFY, "setTime")) {
            assertThrows(IllegalStateException.class, () -> dom.jobs().begin(JobKind.QUERY, "x"));
            assertThrows(IllegalStateException.class, () -> dom.jobs().beginAsync(AsyncJobKind.SAVE, "x"));
        }
    }

    @Test
    void agentJobsRunBesideNormalJobsAndSerialiseAmongThemselves() throws Exception {
        DomainObj dom = running("a");
        try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.MODIFY, "x")) {
            dom.unlock();
            try {
                CountDownLatch inAgent = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                CompletableFuture<Object> first = async(() -> {
                    try (var l2 = dom.locked(); AgentJob a = dom.jobs().beginAgent(AgentJobKind.QUERY, "fsinfo")) {
                        a.agentVoid(() -> {
                            MonitorGuard.requireAgentJob(dom);
                            inAgent.countDown();
                            release.await(5, TimeUnit.SECONDS);
                        });
                    }
                    return null;
                });
                assertTrue(inAgent.await(5, TimeUnit.SECONDS));
                CompletableFuture<Object> second = async(() -> {
                    try (var l2 = dom.locked(); AgentJob a = dom.jobs().beginAgent(AgentJobKind.QUERY, "interfaces")) {
                        return a.kind();
                    }
                });
                eventually(() -> waiting(dom) == 1, "second agent job to wait");
                release.countDown();
                first.get(5, TimeUnit.SECONDS);
                assertEquals(AgentJobKind.QUERY, second.get(5, TimeUnit.SECONDS));
            } finally {
                dom.lock();
            }
        }
    }

    @Test
    void monitorDropsTheLockAndGuardChecksCallers() throws Exception {
        DomainObj dom = running("a");
        assertThrows(IllegalStateException.class, () -> MonitorGuard.requireJob(dom));
        try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.MODIFY, "x")) {
            IllegalStateException held = assertThrows(IllegalStateException.class, () -> MonitorGuard.requireJob(dom));
            assertTrue(held.getMessage().contains("lock held"), held.getMessage());
            boolean otherThreadLocked = j.monitor(() -> {
                MonitorGuard.requireJob(dom);
                return async(() -> {
                    boolean got = dom.lockObject().tryLock(2, TimeUnit.SECONDS);
                    if (got) {
                        dom.unlock();
                    }
                    return got;
                }).get(5, TimeUnit.SECONDS);
            });
            assertTrue(otherThreadLocked);
            assertTrue(dom.isLockedByCurrentThread());
            // another thread cannot pass the guard on our job
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> j.monitor(() -> async(() -> {
                        MonitorGuard.requireJob(dom);
                        return null;
                    }).get(5, TimeUnit.SECONDS)));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            try (MonitorScope m = j.enterMonitor()) {
                assertFalse(dom.isLockedByCurrentThread());
                MonitorGuard.requireJob(dom);
            }
            assertTrue(dom.isLockedByCurrentThread());
        }
    }

    @Test
    void monitorFailsCleanlyWhenDomainStopsDuringCall() {
        DomainObj dom = running("a");
        try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.MODIFY, "x")) {
            VirtException e = assertThrows(VirtException.class, () -> j.monitor(() -> {
                try (var l2 = dom.locked()) {
                    dom.setStatus(DomainState.SHUTOFF, StateReason.CRASHED);
                }
                return "reply";
            }));
            assertEquals(ErrorCode.OPERATION_INVALID, e.code());
            assertTrue(e.getMessage().contains("domain is not running"));
            assertThrows(VirtException.class, () -> j.monitor(() -> "never"));
        }
    }

    @Test
    void removalWakesWaitersWithNoDomain() throws Exception {
        DomainObjList list = new DomainObjList();
        DomainObj dom = running("a");
        DomainObj listed = list.addOrGet(dom.def(), true).domain();
        listed.jobs().setConfig(JobConfig.DEFAULTS.withWaitTimeout(Duration.ofSeconds(20)));
        try (var l = listed.locked(); Job j = listed.jobs().begin(JobKind.MODIFY, "undefine")) {
            CompletableFuture<Object> waiter = async(() -> {
                try (var l2 = listed.locked(); Job j2 = listed.jobs().begin(JobKind.QUERY, "info")) {
                    return null;
                }
            });
            listed.unlock();
            try {
                eventually(() -> waiting(listed) == 1, "query to wait");
            } finally {
                listed.lock();
            }
            list.remove(listed);
            listed.unlock();
            try {
                ExecutionException e = assertThrows(ExecutionException.class, () -> waiter.get(5, TimeUnit.SECONDS));
                assertEquals(ErrorCode.NO_DOMAIN, cause(e).code());
            } finally {
                listed.lock();
            }
        }
    }

    @Test
    void queueLimitFailsFastButExemptsDestroy() throws Exception {
        DomainObj dom = running("a", Duration.ofSeconds(10));
        dom.jobs().setConfig(dom.jobs().config().withMaxQueuedWaiters(1));
        Job held;
        try (var l = dom.locked()) {
            held = dom.jobs().begin(JobKind.MODIFY, "x");
        }
        CompletableFuture<Object> first = async(() -> {
            try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.MODIFY, "first")) {
                return null;
            }
        });
        eventually(() -> waiting(dom) == 1, "first waiter");
        ExecutionException e = assertThrows(ExecutionException.class, () -> async(() -> {
            try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.MODIFY, "second")) {
                return null;
            }
        }).get(5, TimeUnit.SECONDS));
        assertEquals(ErrorCode.OPERATION_FAILED, cause(e).code());
        assertTrue(cause(e).getMessage().contains("maxQueuedWaiters=1"), cause(e).getMessage());
        CompletableFuture<Object> destroy = async(() -> {
            try (var l = dom.locked(); Job j = dom.jobs().begin(JobKind.DESTROY, "destroy")) {
                return null;
            }
        });
        eventually(() -> waiting(dom) == 2, "destroy to queue past the limit");
        held.close();
        first.get(5, TimeUnit.SECONDS);
        destroy.get(5, TimeUnit.SECONDS);
    }

    @Test
    void jobStateRoundTripsAndResumes() {
        DomainObj dom = running("a");
        JobState state;
        try (var l = dom.locked(); AsyncJob job = dom.jobs().beginAsync(AsyncJobKind.MIGRATION_OUT, "migrate")) {
            job.setPhase("perform3");
            job.disallow(JobKind.SUSPEND);
            state = dom.jobs().asyncState();
        }
        Map<String, String> map = state.toMap();
        assertEquals("MIGRATION_OUT", map.get("asyncJob"));
        assertEquals("perform3", map.get("phase"));
        JobState back = JobState.fromMap(map);
        assertEquals(state, back);
        assertFalse(back.mask().contains(JobKind.SUSPEND));
        DomainObj restarted = running("a");
        try (var l = restarted.locked(); AsyncJob job = restarted.jobs().resumeAsync(back)) {
            assertEquals("perform3", job.phase());
            assertEquals(state.started(), job.started());
            assertEquals(AsyncJobKind.MIGRATION_OUT, restarted.jobs().asyncKind());
        }
        VirtException bad = assertThrows(VirtException.class, () -> JobState.fromMap(Map.of("asyncJob", "FLY",
                "api", "x", "started", "2026-01-01T00:00:00Z")));
        assertTrue(bad.getMessage().contains("'asyncJob' value 'FLY'"), bad.getMessage());
        assertThrows(VirtException.class, () -> JobState.fromMap(Map.of("asyncJob", "SAVE", "started", "x")));
    }

    @Test
    void remoteCallOfAsyncJobLetsAllowedJobsRun() throws Exception {
        DomainObj dom = running("a");
        try (var l = dom.locked(); AsyncJob mig = dom.jobs().beginAsync(AsyncJobKind.MIGRATION_OUT, "migrate")) {
            JobKind seen = mig.remote(() -> async(() -> {
                try (var l2 = dom.locked(); Job j = dom.jobs().begin(JobKind.MIGRATION_OP, "setSpeed")) {
                    return j.kind();
                }
            }).get(5, TimeUnit.SECONDS));
            assertEquals(JobKind.MIGRATION_OP, seen);
            try (Job nested = mig.beginNested()) {
                assertThrows(IllegalStateException.class, () -> mig.remote(() -> null));
            }
        }
    }

    @Test
    void destroyCancelsAMonitorCallOfTheAsyncJobBeforeWaitingForIt() throws Exception {
        DomainObj dom = running("a");
        CountDownLatch inMonitor = new CountDownLatch(1);
        CountDownLatch hung = new CountDownLatch(1); // a "hung" command that only the cancel hook ends
        CompletableFuture<Object> migrate = async(() -> {
            try (var l = dom.locked(); AsyncJob job = dom.jobs().beginAsync(AsyncJobKind.MIGRATION_OUT, "migrate")) {
                job.onCancel(hung::countDown);
                job.monitorVoid(() -> {
                    inMonitor.countDown();
                    hung.await(20, TimeUnit.SECONDS);
                });
                job.complete();
            }
            return null;
        });
        assertTrue(inMonitor.await(5, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        try (var l = dom.locked(); Job d = dom.jobs().begin(JobKind.DESTROY, "destroy")) {
            dom.setStatus(DomainState.SHUTOFF, StateReason.DESTROYED);
        }
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3), "destroy waited for the hung call");
        ExecutionException e = assertThrows(ExecutionException.class, () -> migrate.get(5, TimeUnit.SECONDS));
        assertTrue(cause(e).getMessage().contains("destroyed during the migration out job"), cause(e).getMessage());
    }

    @Test
    void monitorDuringStartSkipsTheRunningCheck() {
        DomainObj dom = running("a");
        try (var l = dom.locked()) {
            dom.setStatus(DomainState.SHUTOFF, StateReason.UNKNOWN);
        }
        try (var l = dom.locked(); AsyncJob start = dom.jobs().beginAsync(AsyncJobKind.START, "start");
             Job nested = start.beginNested()) {
            assertThrows(VirtException.class, nested::enterMonitor);
            try (MonitorScope m = nested.enterMonitorDuringStart()) {
                MonitorGuard.requireJob(dom);
            }
            start.complete();
        }
        assertEquals(JobInfo.Type.COMPLETED, dom.jobs().info().type());
        assertEquals("start", dom.jobs().info().operation());
    }

    @Test
    void failAsyncStopsTheAsyncJobWithTheGivenReason() throws Exception {
        DomainObj dom = running("a");
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Object> dump = async(() -> {
            try (var l = dom.locked(); AsyncJob job = dom.jobs().beginAsync(AsyncJobKind.DUMP, "dump")) {
                started.countDown();
                job.pause(Duration.ofSeconds(20));
            }
            return null;
        });
        assertTrue(started.await(5, TimeUnit.SECONDS));
        try (var l = dom.locked()) {
            assertTrue(dom.jobs().failAsync(ErrorCode.OPERATION_FAILED, "guest crashed"));
            assertFalse(dom.jobs().failAsync(ErrorCode.OPERATION_FAILED, "again"));
        }
        ExecutionException e = assertThrows(ExecutionException.class, () -> dump.get(5, TimeUnit.SECONDS));
        assertEquals(ErrorCode.OPERATION_FAILED, cause(e).code());
        assertEquals("guest crashed", dom.jobs().info().errorMessage());
    }
}

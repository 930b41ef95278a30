package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.JobInfo;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.spi.job.Job;
import io.jvirt.spi.job.JobKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test driver takes a job for every state change (docs/job-model.md). */
@Timeout(60)
class TestDriverJobsTest {
    private final Connection conn = Virt.open("test:///default");
    private final Domain dom = conn.lookupDomainByName("test");
    private final DomainObj obj = conn.unwrap(HypervisorDriver.class).domains().byName("test");

    @AfterEach
    void close() {
        conn.close();
    }

    private int waiting() {
        try (var l = obj.locked()) {
            return obj.jobs().waiting();
        }
    }

    @Test
    void noJobByDefaultAndAbortWithoutJobIsInvalid() {
        assertEquals(JobInfo.Type.NONE, dom.jobInfo().type());
        VirtException e = assertThrows(VirtException.class, dom::abortJob);
        assertEquals(ErrorCode.OPERATION_INVALID, e.code());
        assertTrue(e.getMessage().contains("no job is active"), e.getMessage());
    }

    @Test
    void suspendBlocksWhileAJobIsHeld() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Job held;
        obj.lock();
        try {
            held = obj.jobs().begin(JobKind.MODIFY, "holder");
        } finally {
            obj.unlock();
        }
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                dom.suspend();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (waiting() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(1, waiting(), "suspend must wait for the job in progress");
        // queries are answered meanwhile
        assertEquals(DomainState.RUNNING, dom.state().state());
        assertEquals(JobInfo.Type.NONE, dom.jobInfo().type());
        assertTrue(t.isAlive());
        obj.lock();
        try {
            held.close();
        } finally {
            obj.unlock();
        }
        t.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(null, failure.get());
        assertEquals(DomainState.PAUSED, dom.state().state());
    }

    @Test
    void manyThreadsOnOneDomainNeverCorruptState() throws Exception {
        List<Future<?>> fs = new ArrayList<>();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 16; i++) {
                int k = i;
                fs.add(ex.submit(() -> {
                    for (int n = 0; n < 200; n++) {
                        try {
                            switch ((k + n) % 4) {
                                case 0 -> dom.suspend();
                                case 1 -> dom.resume();
                                case 2 -> dom.destroy();
                                default -> dom.start();
                            }
                        } catch (VirtException e) {
                            if (e.code() != ErrorCode.OPERATION_INVALID) {
                                throw e;
                            }
                        }
                        DomainState s = dom.state().state();
                        assertTrue(s == DomainState.RUNNING || s == DomainState.PAUSED || s == DomainState.SHUTOFF, s::toString);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(50, TimeUnit.SECONDS);
            }
        }
        // consistency: id and state agree
        if (dom.isActive()) {
            assertTrue(dom.id() > 0);
            assertEquals(dom, conn.lookupDomainById(dom.id()));
        } else {
            assertEquals(-1, dom.id());
        }
    }
}

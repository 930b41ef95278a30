package io.jvirt.spi.event;

import io.jvirt.api.DomainEvent;
import io.jvirt.api.Events;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class EventDispatcherTest {
    private final EventDispatcher d = new EventDispatcher("unit");

    @AfterEach
    void close() {
        d.close();
    }

    private static DomainEvent ev(UUID uuid, String detail) {
        return new DomainEvent.LifecycleEvent("dom", uuid, Instant.now(), DomainEvent.Lifecycle.STARTED, detail);
    }

    @Test
    void deliversInOrderOnTheDispatchThread() throws Exception {
        BlockingQueue<DomainEvent> got = new LinkedBlockingQueue<>();
        List<Thread> threads = new ArrayList<>();
        d.subscribe(e -> {
            threads.add(Thread.currentThread());
            got.add(e);
        });
        UUID u = UUID.randomUUID();
        for (int i = 0; i < 1000; i++) {
            d.emit(ev(u, "n" + i));
        }
        for (int i = 0; i < 1000; i++) {
            DomainEvent e = got.poll(5, TimeUnit.SECONDS);
            assertNotNull(e, "event " + i + " not delivered");
            assertEquals("n" + i, ((DomainEvent.LifecycleEvent) e).detail());
        }
        assertTrue(threads.stream().allMatch(t -> t == d.thread()));
        assertTrue(d.thread().isDaemon());
        assertTrue(d.thread().getName().startsWith("jvirt-events-unit-"));
    }

    @Test
    void slowListenerDoesNotSlowEmit() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        BlockingQueue<DomainEvent> got = new LinkedBlockingQueue<>();
        d.subscribe(e -> {
            entered.countDown();
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            got.add(e);
        });
        UUID u = UUID.randomUUID();
        d.emit(ev(u, "first"));
        assertTrue(entered.await(5, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            d.emit(ev(u, "more"));
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 1_000, "emit took " + ms + " ms while a listener slept 2 s");
        assertTrue(d.pending() > 0, "events must still be queued behind the sleeping listener");
        // the slow listener still gets its event later
        assertNotNull(got.poll(5, TimeUnit.SECONDS));
    }

    @Test
    void throwingListenerDoesNotStopDelivery() throws Exception {
        BlockingQueue<DomainEvent> got = new LinkedBlockingQueue<>();
        d.subscribe(e -> {
            throw new IllegalStateException("listener bug");
        });
        d.subscribe(got::add);
        UUID u = UUID.randomUUID();
        d.emit(ev(u, "a"));
        d.emit(ev(u, "b"));
        assertEquals("a", ((DomainEvent.LifecycleEvent) got.poll(5, TimeUnit.SECONDS)).detail());
        assertEquals("b", ((DomainEvent.LifecycleEvent) got.poll(5, TimeUnit.SECONDS)).detail());
    }

    @Test
    void perDomainSubscriptionFiltersAndUnsubscribeStops() throws Exception {
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        BlockingQueue<DomainEvent> onlyA = new LinkedBlockingQueue<>();
        BlockingQueue<DomainEvent> all = new LinkedBlockingQueue<>();
        Events.Subscription sa = d.subscribe(a, onlyA::add);
        Events.Subscription sall = d.subscribe(all::add);
        d.emit(ev(b, "b1"));
        d.emit(ev(a, "a1"));
        assertEquals("b1", ((DomainEvent.LifecycleEvent) all.poll(5, TimeUnit.SECONDS)).detail());
        assertEquals("a1", ((DomainEvent.LifecycleEvent) all.poll(5, TimeUnit.SECONDS)).detail());
        DomainEvent first = onlyA.poll(5, TimeUnit.SECONDS);
        assertEquals(a, first.domainUuid());
        assertNull(onlyA.poll(50, TimeUnit.MILLISECONDS));
        sa.close();
        assertEquals(1, d.subscriptions());
        d.emit(ev(a, "a2"));
        assertEquals("a2", ((DomainEvent.LifecycleEvent) all.poll(5, TimeUnit.SECONDS)).detail());
        assertNull(onlyA.poll(100, TimeUnit.MILLISECONDS), "closed subscription still delivered");
        sall.close();
        assertEquals(0, d.subscriptions());
    }

    @Test
    void closeStopsThreadAndDropsLaterEvents() throws Exception {
        BlockingQueue<DomainEvent> got = new LinkedBlockingQueue<>();
        d.subscribe(got::add);
        d.close();
        d.thread().join(5_000);
        assertFalse(d.thread().isAlive());
        d.emit(ev(UUID.randomUUID(), "late"));
        assertNull(got.poll(100, TimeUnit.MILLISECONDS));
        assertThrows(IllegalStateException.class, () -> d.subscribe(got::add));
        d.close(); // twice is fine
    }

    @Test
    void listenerMayCloseItsOwnDispatcher() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        d.subscribe(e -> {
            d.close();
            done.countDown();
        });
        d.emit(ev(UUID.randomUUID(), "x"));
        assertTrue(done.await(5, TimeUnit.SECONDS));
        d.thread().join(5_000);
        assertFalse(d.thread().isAlive());
    }

    @Test
    void emitNeverRunsListenerOnCaller() throws Exception {
        BlockingQueue<Thread> seen = new LinkedBlockingQueue<>();
        d.subscribe(e -> seen.add(Thread.currentThread()));
        d.emit(ev(UUID.randomUUID(), "x"));
        Thread t = seen.poll(5, TimeUnit.SECONDS);
        assertSame(d.thread(), t);
    }
}

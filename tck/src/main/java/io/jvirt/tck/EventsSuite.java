package io.jvirt.tck;

import io.jvirt.api.Domain;
import io.jvirt.api.DomainEvent;
import io.jvirt.api.Events;
import io.jvirt.api.Feature;
import io.jvirt.api.xml.DomainXml;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lifecycle events: libvirt's kinds and detail words, in order, on the connection's dispatch
 * thread (never the caller's), per-domain filtering, unsubscribe, and listeners that throw or
 * block never hurting the driver.
 */
public abstract class EventsSuite extends TckBase {
    /** How long to wait for an event that must come. */
    protected Duration eventTimeout() {
        return Duration.ofSeconds(30);
    }

    @Test
    public void transientLifecycleEventsInOrderOnTheDispatchThread() {
        UUID uuid = UUID.randomUUID();
        EventRecorder rec = new EventRecorder(uuid);
        try (Events.Subscription s = conn.events().subscribe(rec)) {
            Domain d = conn.createDomain(domainXml(name("ev-transient"), uuid));
            d.destroy();
            List<EventRecorder.Delivery> got = rec.expect(eventTimeout(), "Started Booted", "Stopped Destroyed");
            Thread dispatch = got.getFirst().thread();
            assertNotSame(Thread.currentThread(), dispatch, "listeners must not run on the caller's thread");
            for (EventRecorder.Delivery del : got) {
                assertSame(dispatch, del.thread(), "all events come on the one dispatch thread");
                assertEquals(uuid, del.event().domainUuid());
                assertTrue(del.event().domainName().startsWith("tck-ev-transient-"));
                assertEquals("lifecycle", del.event().eventName());
            }
            rec.expectNone(Duration.ofMillis(200));
        }
    }

    @Test
    public void persistentLifecycleEvents() {
        UUID uuid = UUID.randomUUID();
        EventRecorder rec = new EventRecorder(uuid);
        String n = name("ev-persistent");
        try (Events.Subscription s = conn.events().subscribe(rec)) {
            if (!claims(Feature.PERSISTENT)) {
                assertFails(io.jvirt.api.ErrorCode.NO_SUPPORT, () -> conn.defineDomain(domainXml(n, uuid)));
                rec.expectNone(Duration.ofMillis(200));
                return;
            }
            Domain d = conn.defineDomain(domainXml(n, uuid));
            rec.expect(eventTimeout(), "Defined Added");
            conn.defineDomain(DomainXml.format(DomainXml.parse(d.xml(true))));
            rec.expect(eventTimeout(), "Defined Updated");
            d.start();
            rec.expect(eventTimeout(), "Started Booted");
            if (claims(Feature.SUSPEND)) {
                d.suspend();
                rec.expect(eventTimeout(), "Suspended Paused");
                d.resume();
                rec.expect(eventTimeout(), "Resumed Unpaused");
            }
            d.destroy();
            rec.expect(eventTimeout(), "Stopped Destroyed");
            d.undefine();
            rec.expect(eventTimeout(), "Undefined Removed");
        }
    }

    @Test
    public void shutdownEvent() {
        if (!claims(Feature.SHUTDOWN)) {
            Domain t = conn.createDomain(domainXml(name("ev-shutdown")));
            assertFails(io.jvirt.api.ErrorCode.NO_SUPPORT, t::shutdown);
            return;
        }
        UUID uuid = UUID.randomUUID();
        EventRecorder rec = new EventRecorder(uuid);
        try (Events.Subscription s = conn.events().subscribe(rec)) {
            Domain d = conn.createDomain(domainXml(name("ev-shutdown"), uuid));
            rec.expect(eventTimeout(), "Started Booted");
            d.shutdown();
            DomainEvent.LifecycleEvent e;
            do {
                e = (DomainEvent.LifecycleEvent) rec.nextLifecycle(shutdownTimeout()).event();
            } while (e.kind() == DomainEvent.Lifecycle.SHUTDOWN);
            assertEquals(DomainEvent.Lifecycle.STOPPED, e.kind());
            assertEquals("Shutdown", e.detail());
        }
    }

    @Test
    public void perDomainSubscriptionSeesOnlyItsDomain() {
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        EventRecorder onlyA = new EventRecorder(null);
        EventRecorder all = new EventRecorder(null);
        try (Events.Subscription sa = conn.events().subscribe(a, onlyA);
             Events.Subscription sall = conn.events().subscribe(all)) {
            conn.createDomain(domainXml(name("ev-b"), b)).destroy();
            conn.createDomain(domainXml(name("ev-a"), a)).destroy();
            List<EventRecorder.Delivery> every = all.expect(eventTimeout(),
                    "Started Booted", "Stopped Destroyed", "Started Booted", "Stopped Destroyed");
            assertEquals(List.of(b, b, a, a), every.stream().map(x -> x.event().domainUuid()).toList());
            List<EventRecorder.Delivery> mine = onlyA.expect(eventTimeout(), "Started Booted", "Stopped Destroyed");
            assertEquals(a, mine.get(0).event().domainUuid());
            assertEquals(a, mine.get(1).event().domainUuid());
            onlyA.expectNone(Duration.ofMillis(200));
        }
    }

    @Test
    public void closedSubscriptionGetsNothingMore() {
        UUID uuid = UUID.randomUUID();
        EventRecorder rec = new EventRecorder(uuid);
        EventRecorder marker = new EventRecorder(uuid);
        Events.Subscription s = conn.events().subscribe(rec);
        try (Events.Subscription m = conn.events().subscribe(marker)) {
            Domain d = conn.createDomain(domainXml(name("ev-unsub"), uuid));
            rec.expect(eventTimeout(), "Started Booted");
            marker.expect(eventTimeout(), "Started Booted");
            s.close();
            d.destroy();
            marker.expect(eventTimeout(), "Stopped Destroyed");
            rec.expectNone(Duration.ofMillis(200));
        }
    }

    @Test
    public void throwingListenerDoesNotStopOthers() {
        UUID uuid = UUID.randomUUID();
        EventRecorder rec = new EventRecorder(uuid);
        try (Events.Subscription bad = conn.events().subscribe(e -> {
            throw new IllegalStateException("a listener's bug");
        }); Events.Subscription good = conn.events().subscribe(rec)) {
            conn.createDomain(domainXml(name("ev-throw"), uuid)).destroy();
            rec.expect(eventTimeout(), "Started Booted", "Stopped Destroyed");
        }
    }

    @Test
    public void blockedListenerNeverBlocksTheDriver() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        UUID uuid = UUID.randomUUID();
        EventRecorder rec = new EventRecorder(uuid);
        try (Events.Subscription slow = conn.events().subscribe(e -> {
            entered.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }); Events.Subscription after = conn.events().subscribe(rec)) {
            long t0 = System.nanoTime();
            Domain d = conn.createDomain(domainXml(name("ev-blocked"), uuid));
            assertTrue(entered.await(eventTimeout().toSeconds(), TimeUnit.SECONDS), "first event delivered");
            d.destroy();
            d = conn.createDomain(domainXml(name("ev-blocked"), uuid));
            d.destroy();
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            assertTrue(release.getCount() == 1 && seconds < 55,
                    "the driver's calls must return while a listener is blocked (took " + seconds + " s)");
            release.countDown();
            rec.expect(eventTimeout(), "Started Booted", "Stopped Destroyed", "Started Booted", "Stopped Destroyed");
        }
    }
}

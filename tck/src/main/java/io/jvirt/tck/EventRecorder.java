package io.jvirt.tck;

import io.jvirt.api.DomainEvent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A listener that records lifecycle events of one domain (or all) with the thread they came on,
 * for the suites to assert order and thread.
 */
public final class EventRecorder implements Consumer<DomainEvent> {
    /**
     * One delivery.
     *
     * @param event  the event
     * @param thread the thread that delivered it
     */
    public record Delivery(DomainEvent event, Thread thread) {
    }

    private final UUID domain;
    private final BlockingQueue<Delivery> queue = new LinkedBlockingQueue<>();

    /** Records the events of {@code domain}, or of every domain when null. */
    public EventRecorder(UUID domain) {
        this.domain = domain;
    }

    @Override
    public void accept(DomainEvent e) {
        if (domain == null || domain.equals(e.domainUuid())) {
            queue.add(new Delivery(e, Thread.currentThread()));
        }
    }

    /** The next lifecycle delivery, skipping other event kinds; fails after {@code timeout}. */
    public Delivery nextLifecycle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Delivery d;
            try {
                d = left <= 0 ? null : queue.poll(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for an event", e);
            }
            if (d == null) {
                fail("no lifecycle event within " + timeout.toSeconds() + " s");
            }
            if (d.event() instanceof DomainEvent.LifecycleEvent) {
                return d;
            }
        }
    }

    /**
     * Asserts that the next lifecycle events are exactly {@code expected}, each as
     * {@code "Kind Detail"} ({@code "Started Booted"}); returns the deliveries.
     */
    public List<Delivery> expect(Duration timeout, String... expected) {
        List<Delivery> out = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (String want : expected) {
            Delivery d;
            try {
                d = nextLifecycle(timeout);
            } catch (AssertionError e) {
                throw new AssertionError("expected events " + List.of(expected) + " but got only " + seen, e);
            }
            DomainEvent.LifecycleEvent le = (DomainEvent.LifecycleEvent) d.event();
            seen.add(le.kind().label() + " " + le.detail());
            assertEquals(want, seen.getLast(), "lifecycle events so far: " + seen);
            out.add(d);
        }
        return out;
    }

    /** Asserts that no lifecycle event arrives within {@code quiet}. */
    public void expectNone(Duration quiet) {
        long deadline = System.nanoTime() + quiet.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Delivery d;
            try {
                d = queue.poll(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (d != null && d.event() instanceof DomainEvent.LifecycleEvent) {
                fail("unexpected event " + d.event());
            }
        }
    }
}

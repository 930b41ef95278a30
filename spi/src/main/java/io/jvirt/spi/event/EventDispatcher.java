package io.jvirt.spi.event;

import io.jvirt.api.DomainEvent;
import io.jvirt.api.Events;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One connection's event dispatcher: drivers {@link #emit} into an unbounded queue (never
 * blocking, never running a listener on their thread); one daemon dispatch thread per connection
 * delivers each event, in emission order, to the listeners subscribed at delivery time.
 *
 * <p>A listener that throws is logged and skipped; a slow listener delays later events of the same
 * connection but never the driver. Closing stops the thread; events emitted after close are
 * dropped.
 */
public final class EventDispatcher implements EventSink, Events, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventDispatcher.class.getName());
    private static final AtomicLong THREAD_SEQ = new AtomicLong();
    /** How long {@link #close()} waits for a listener still running. */
    private static final long CLOSE_WAIT_MS = 2_000;

    private final LinkedBlockingQueue<DomainEvent> queue = new LinkedBlockingQueue<>();
    private final List<Sub> subs = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private final AtomicLong delivered = new AtomicLong();
    private volatile boolean closed;

    /**
     * Starts the dispatch thread.
     *
     * @param label names the thread ({@code jvirt-events-<label>-N}), e.g. the connection URI
     */
    public EventDispatcher(String label) {
        thread = Thread.ofPlatform()
                .daemon(true)
                .name("jvirt-events-" + label + "-" + THREAD_SEQ.incrementAndGet())
                .unstarted(this::run);
        thread.start();
    }

    /** Queues {@code event} for delivery; never blocks. Dropped once the dispatcher is closed. */
    @Override
    public void emit(DomainEvent event) {
        Objects.requireNonNull(event, "event");
        if (!closed) {
            queue.offer(event);
        }
    }

    @Override
    public Subscription subscribe(Consumer<? super DomainEvent> listener) {
        return add(new Sub(null, Objects.requireNonNull(listener, "listener")));
    }

    @Override
    public Subscription subscribe(UUID domain, Consumer<? super DomainEvent> listener) {
        return add(new Sub(Objects.requireNonNull(domain, "domain"), Objects.requireNonNull(listener, "listener")));
    }

    private Subscription add(Sub sub) {
        if (closed) {
            throw new IllegalStateException("event dispatcher is closed");
        }
        subs.add(sub);
        return sub;
    }

    /** The dispatch thread (for tests and diagnostics). */
    public Thread thread() {
        return thread;
    }

    /** Events queued but not yet delivered. */
    public int pending() {
        return queue.size();
    }

    /** Events delivered so far (each counted once, whatever the number of listeners). */
    public long delivered() {
        return delivered.get();
    }

    /** Live subscriptions. */
    public int subscriptions() {
        return subs.size();
    }

    private void run() {
        while (!closed) {
            DomainEvent event;
            try {
                event = queue.poll(500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            if (event == null) {
                continue;
            }
            deliver(event);
        }
    }

    private void deliver(DomainEvent event) {
        for (Sub sub : subs) {
            if (closed) {
                return;
            }
            if (!sub.active || (sub.domain != null && !sub.domain.equals(event.domainUuid()))) {
                continue;
            }
            try {
                sub.listener.accept(event);
            } catch (Throwable t) {
                LOG.log(Level.WARNING, "event listener failed on " + event + ": " + t, t);
            }
        }
        delivered.incrementAndGet();
    }

    /** Stops the dispatch thread and drops queued events and subscriptions. Never throws. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        subs.clear();
        queue.clear();
        thread.interrupt();
        if (Thread.currentThread() != thread) {
            try {
                if (!thread.join(java.time.Duration.ofMillis(CLOSE_WAIT_MS))) {
                    LOG.log(Level.WARNING, "event listener still running on " + thread.getName() + " after close");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private final class Sub implements Subscription {
        final UUID domain;
        final Consumer<? super DomainEvent> listener;
        volatile boolean active = true;

        Sub(UUID domain, Consumer<? super DomainEvent> listener) {
            this.domain = domain;
            this.listener = listener;
        }

        @Override
        public void close() {
            active = false;
            subs.remove(this);
        }
    }
}

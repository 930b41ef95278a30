package io.jvirt.api;

import java.util.UUID;
import java.util.function.Consumer;

/**
 * A connection's event subscriptions. Listeners run on the connection's single dispatch thread: a
 * slow listener delays other listeners of the same connection, never the driver.
 */
public interface Events {
    /** Subscribes to every domain's events until the returned subscription is closed. */
    Subscription subscribe(Consumer<? super DomainEvent> listener);

    /** Subscribes to one domain's events until the returned subscription is closed. */
    Subscription subscribe(UUID domain, Consumer<? super DomainEvent> listener);

    /** A live subscription; closing it stops delivery (an event already being delivered finishes). */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }
}

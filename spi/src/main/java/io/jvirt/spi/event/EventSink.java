package io.jvirt.spi.event;

import io.jvirt.api.DomainEvent;

/**
 * Where drivers emit events. {@link #emit} only queues the event: it never blocks and never runs
 * a listener on the caller's thread, so drivers may call it while holding a domain lock.
 */
@FunctionalInterface
public interface EventSink {
    void emit(DomainEvent event);

    /** A sink that drops everything (for drivers opened outside a connection, e.g. in unit tests). */
    static EventSink discard() {
        return event -> { };
    }
}

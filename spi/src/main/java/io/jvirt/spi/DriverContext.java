package io.jvirt.spi;

import io.jvirt.spi.event.EventSink;

/**
 * What the framework gives a driver instance when it opens.
 *
 * @param events where the driver emits domain events; delivery happens on the connection's
 *               dispatch thread, so emitting never blocks the driver
 */
public record DriverContext(EventSink events) {
}

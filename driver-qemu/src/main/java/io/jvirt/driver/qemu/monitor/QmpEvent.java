package io.jvirt.driver.qemu.monitor;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * An asynchronous QMP event ({@code {"event": NAME, "data": {...}, "timestamp": {...}}}).
 *
 * @param name      the event's name ({@code STOP}, {@code SHUTDOWN}, …)
 * @param data      its {@code data} member (an empty object when absent)
 * @param timestamp QEMU's timestamp, or the receive time when absent
 */
public record QmpEvent(String name, JsonNode data, Instant timestamp) {
}

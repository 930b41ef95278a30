package io.jvirt.driver.vz.sdk;

import java.util.UUID;

/**
 * What the SDK tells a session, from the SDK's own thread. Listeners must return quickly: hand
 * the event to another thread before doing anything that waits.
 */
public sealed interface SdkEvent {
    /** The VM concerned. */
    UUID uuid();

    /** A VM was registered on the host (by this session or another tool). */
    record VmAdded(UUID uuid) implements SdkEvent {
    }

    /** A VM was unregistered from the host (or migrated away). */
    record VmRemoved(UUID uuid) implements SdkEvent {
    }

    /** A VM's configuration changed. */
    record ConfigChanged(UUID uuid) implements SdkEvent {
    }

    /**
     * A VM's state changed.
     *
     * @param state  the new state
     * @param reason why ({@code "booted"}, {@code "destroyed"}, {@code "shutdown"}, {@code "crashed"}, …)
     */
    record StateChanged(UUID uuid, VmState state, String reason) implements SdkEvent {
    }

    /** New performance counters for a running VM. */
    record StatsUpdated(UUID uuid, VmStats stats) implements SdkEvent {
    }
}

package io.jvirt.api;

import java.time.Instant;
import java.util.UUID;

/**
 * Something that happened to a domain. Listeners get events on the connection's dispatch thread,
 * never on a driver thread, in the order the driver emitted them.
 */
public sealed interface DomainEvent {
    /** The domain's name. */
    String domainName();

    /** The domain's UUID. */
    UUID domainUuid();

    /** When the driver emitted the event. */
    Instant time();

    /** The event's name as {@code virsh event} prints it ({@code "lifecycle"}, {@code "agent-lifecycle"}, …). */
    String eventName();

    /** libvirt's {@code virDomainEventType}: the lifecycle transitions. */
    enum Lifecycle {
        DEFINED("Defined"), UNDEFINED("Undefined"), STARTED("Started"), SUSPENDED("Suspended"),
        RESUMED("Resumed"), STOPPED("Stopped"), SHUTDOWN("Shutdown"), PMSUSPENDED("PMSuspended"),
        CRASHED("Crashed");

        private final String label;

        Lifecycle(String label) {
            this.label = label;
        }

        /** The word {@code virsh event} prints. */
        public String label() {
            return label;
        }
    }

    /**
     * A lifecycle transition.
     *
     * @param kind   which transition
     * @param detail libvirt's detail word ({@code "Booted"}, {@code "Destroyed"}, {@code "Shutdown"}, …)
     */
    record LifecycleEvent(String domainName, UUID domainUuid, Instant time, Lifecycle kind, String detail)
            implements DomainEvent {
        @Override
        public String eventName() {
            return "lifecycle";
        }

        @Override
        public String toString() {
            return "event 'lifecycle' for domain '" + domainName + "': " + kind.label() + " " + detail;
        }
    }

    /**
     * A long job finished (completed, failed or cancelled).
     *
     * @param info the job's final info
     */
    record JobCompletedEvent(String domainName, UUID domainUuid, Instant time, JobInfo info) implements DomainEvent {
        @Override
        public String eventName() {
            return "job-completed";
        }

        @Override
        public String toString() {
            return "event 'job-completed' for domain '" + domainName + "': " + info.type() + " " + info.operation();
        }
    }

    /**
     * Progress of a block job.
     *
     * @param disk   target name of the disk ({@code vda})
     * @param type   {@code "copy"}, {@code "commit"}, {@code "pull"}, …
     * @param status {@code "ready"}, {@code "completed"}, {@code "failed"}, {@code "canceled"}
     */
    record BlockJobEvent(String domainName, UUID domainUuid, Instant time, String disk, String type, String status)
            implements DomainEvent {
        @Override
        public String eventName() {
            return "block-job";
        }

        @Override
        public String toString() {
            return "event 'block-job' for domain '" + domainName + "': " + type + " for " + disk + " " + status;
        }
    }

    /**
     * A device left the guest (after an unplug completed).
     *
     * @param alias the device's alias
     */
    record DeviceRemovedEvent(String domainName, UUID domainUuid, Instant time, String alias) implements DomainEvent {
        @Override
        public String eventName() {
            return "device-removed";
        }

        @Override
        public String toString() {
            return "event 'device-removed' for domain '" + domainName + "': " + alias;
        }
    }

    /**
     * The guest agent connected or went away.
     *
     * @param connected whether the agent is now connected
     */
    record AgentLifecycleEvent(String domainName, UUID domainUuid, Instant time, boolean connected)
            implements DomainEvent {
        @Override
        public String eventName() {
            return "agent-lifecycle";
        }

        @Override
        public String toString() {
            return "event 'agent-lifecycle' for domain '" + domainName + "': state: '"
                    + (connected ? "connected" : "disconnected") + "'";
        }
    }

    /**
     * The balloon changed the guest's memory.
     *
     * @param memoryKiB the new current memory
     */
    record BalloonChangeEvent(String domainName, UUID domainUuid, Instant time, long memoryKiB)
            implements DomainEvent {
        @Override
        public String eventName() {
            return "balloon-change";
        }

        @Override
        public String toString() {
            return "event 'balloon-change' for domain '" + domainName + "': " + memoryKiB + "KiB";
        }
    }
}

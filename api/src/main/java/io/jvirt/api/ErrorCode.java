package io.jvirt.api;

/**
 * Why an operation failed. Each code carries libvirt's {@code virErrorNumber}, so that tools and
 * people who know libvirt can map errors one to one.
 */
public enum ErrorCode {
    /** A bug or an unexpected state inside jvirt or a driver. */
    INTERNAL_ERROR(1),
    /** The driver does not support this operation. */
    NO_SUPPORT(3),
    /** No driver accepts the URI, or the connection could not be made. */
    NO_CONNECT(5),
    /** The connection is closed or otherwise unusable. */
    INVALID_CONN(6),
    /** An argument is invalid. */
    INVALID_ARG(8),
    /** An operation on the hypervisor failed. */
    OPERATION_FAILED(9),
    /** The domain XML (or another document) is malformed or unsupported. */
    XML_ERROR(27),
    /** A domain with that name or UUID already exists. */
    DOMAIN_EXISTS(28),
    /** The operation was denied by policy. */
    OPERATION_DENIED(29),
    /** A system call or I/O failed. */
    SYSTEM_ERROR(38),
    /** No domain with that name, UUID or id. */
    NO_DOMAIN(42),
    /** The operation is not valid in the current state (e.g. suspend on an inactive domain). */
    OPERATION_INVALID(55),
    /** The configuration is not supported by this hypervisor or host. */
    CONFIG_UNSUPPORTED(67),
    /** Waiting for something (a job, a monitor reply, a daemon) took too long. */
    OPERATION_TIMEOUT(68),
    /** No domain snapshot with that name. */
    NO_DOMAIN_SNAPSHOT(72),
    /** The running operation was aborted. */
    OPERATION_ABORTED(78),
    /** Migration would be unsafe or the two ends disagree. */
    MIGRATE_UNSAFE(81),
    /** A block job is already active on that disk. */
    BLOCK_COPY_ACTIVE(83),
    /** The guest agent is not connected or did not answer in time. */
    AGENT_UNRESPONSIVE(86),
    /** A resource (a disk lock, a lease) is held by someone else. */
    RESOURCE_BUSY(87),
    /** No such device in the domain. */
    DEVICE_MISSING(99);

    private final int number;

    ErrorCode(int number) {
        this.number = number;
    }

    /** The libvirt error number this code corresponds to. */
    public int number() {
        return number;
    }
}

package io.jvirt.api;

/**
 * A disk's I/O counters, as {@code virsh domblkstat} shows them.
 *
 * @param rdReq   read requests
 * @param rdBytes bytes read
 * @param wrReq   write requests
 * @param wrBytes bytes written
 * @param errs    errors
 */
public record BlockStats(long rdReq, long rdBytes, long wrReq, long wrBytes, long errs) {
}

package io.jvirt.spi.lock;

import java.util.List;

/**
 * One lock-manager plugin instance, owned by a driver for its lifetime. It hands out a
 * {@link LockSession} per domain and per operation. Implementations are thread-safe.
 */
public interface LockManager extends AutoCloseable {
    /** The plugin's name ({@code nop}, {@code lockd}); migration refuses a peer with another. */
    String name();

    /**
     * Opens a session for one domain (or one device change) with a fixed set of resources.
     * Opening does no I/O; the session's calls do.
     *
     * @param owner     the domain and the process whose life bounds the locks
     * @param resources the disks and leases to lock (may be empty)
     */
    LockSession session(LockOwner owner, List<LockResource> resources);

    /** Releases the plugin's own resources (not the domains' locks). */
    @Override
    void close();
}

package io.jvirt.spi.security;

import io.jvirt.spi.lock.LockManager;
import io.jvirt.spi.lock.LockOwner;
import io.jvirt.spi.lock.LockResource;
import io.jvirt.spi.lock.LockSession;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The allow/revoke pair every device change uses (hotplug, unplug, media change, block-copy
 * targets): <b>allow</b> = lock (lock manager) → label (DAC), before QEMU opens the path;
 * <b>revoke</b> = restore the label → unlock, after QEMU let go. The same revoke is the
 * rollback when the device change fails.
 */
public final class DeviceAccess {
    private final LockManager locks;
    private final DacLabeler labeler;

    /** What {@link #allow} granted; hand it to {@link #revoke}. */
    public record Grant(LockSession session, List<Path> paths) {
        public Grant {
            Objects.requireNonNull(session, "session");
            paths = List.copyOf(paths);
        }
    }

    public DeviceAccess(LockManager locks, DacLabeler labeler) {
        this.locks = Objects.requireNonNull(locks, "locks");
        this.labeler = Objects.requireNonNull(labeler, "labeler");
    }

    /**
     * Locks {@code resource} for {@code owner}, then labels {@code paths}; if labelling fails the
     * lock is released again and the error propagates.
     */
    public Grant allow(LockOwner owner, LockResource resource, List<Path> paths) {
        LockSession session = locks.session(owner, List.of(resource));
        session.acquire(null, Set.of(), List.of());
        try {
            labeler.label(paths);
        } catch (RuntimeException e) {
            try {
                session.release();
            } catch (RuntimeException r) {
                e.addSuppressed(r);
            }
            session.close();
            throw e;
        }
        return new Grant(session, paths);
    }

    /** Restores the labels, then releases the lock; returns the lock state from the release. */
    public String revoke(Grant grant) {
        try {
            labeler.restore(grant.paths());
        } catch (RuntimeException e) {
            try {
                grant.session().release();
            } catch (RuntimeException r) {
                e.addSuppressed(r);
            } finally {
                grant.session().close();
            }
            throw e;
        }
        try {
            return grant.session().release();
        } finally {
            grant.session().close();
        }
    }
}

package io.jvirt.spi.lock;

import java.util.Objects;

/**
 * One thing a domain locks: a disk (by path) or an explicit {@code <lease>}.
 */
public sealed interface LockResource {

    /** How a disk is used by the guest, which decides the lock taken for it. */
    enum DiskMode {
        /** A writable disk used by one guest only: exclusive lock. */
        EXCLUSIVE,
        /** A writable disk shared between guests ({@code <shareable/>}): shared lock. */
        SHARED,
        /** A read-only disk ({@code <readonly/>}): no lock or a shared lock, per plugin config. */
        READONLY
    }

    /**
     * A disk image or block device.
     *
     * @param path the disk's source path as the guest definition names it
     * @param mode exclusive, shared or read-only
     */
    record Disk(String path, DiskMode mode) implements LockResource {
        public Disk {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(mode, "mode");
            if (path.isBlank()) {
                throw new IllegalArgumentException("disk path is empty");
            }
        }

        @Override
        public String describe() {
            return path;
        }
    }

    /**
     * An explicit lease ({@code <lease><lockspace/><key/><target path= offset=/></lease>}).
     *
     * @param lockspace the lockspace name
     * @param key       the lease's key within the lockspace
     * @param path      the lease file's path, or {@code null} to let the plugin place it
     * @param offset    the lease's offset within {@code path} (used by disk-paxos plugins)
     */
    record Lease(String lockspace, String key, String path, long offset) implements LockResource {
        public Lease {
            Objects.requireNonNull(lockspace, "lockspace");
            Objects.requireNonNull(key, "key");
            if (key.isBlank()) {
                throw new IllegalArgumentException("lease key is empty");
            }
            if (offset < 0) {
                throw new IllegalArgumentException("lease offset is negative: " + offset);
            }
        }

        @Override
        public String describe() {
            return "lease " + lockspace + "/" + key;
        }
    }

    /** What error messages call this resource (the disk path, or {@code lease SPACE/KEY}). */
    String describe();
}

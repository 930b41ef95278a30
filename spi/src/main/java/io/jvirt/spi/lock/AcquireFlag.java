package io.jvirt.spi.lock;

/** Options of {@link LockSession#acquire}. */
public enum AcquireFlag {
    /**
     * Only register the owner; take no resource. Used in the pre-exec window, over the
     * connections the child made, before QEMU runs.
     */
    REGISTER_ONLY,
    /**
     * After this call the child's connections accept no further command: they only tie the
     * owner's locks to the life of the process that holds them (QEMU after exec).
     */
    RESTRICT
}

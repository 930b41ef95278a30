package io.jvirt.spi.lock;

import java.util.Objects;
import java.util.UUID;

/**
 * Who holds a domain's locks: the domain's identity and the process whose life bounds the locks
 * (QEMU's pid, known in the pre-exec window because the pid survives exec).
 *
 * @param uuid      the domain's UUID
 * @param name      the domain's name
 * @param id        the domain's run-time id ({@code -1} when inactive)
 * @param pid       the owner process's pid
 * @param driverUri the URI of the driver that manages the domain ({@code qemu:///system})
 */
public record LockOwner(UUID uuid, String name, int id, long pid, String driverUri) {
    public LockOwner {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(driverUri, "driverUri");
        if (pid <= 0) {
            throw new IllegalArgumentException("owner pid must be positive: " + pid);
        }
    }

    /** A short description for error messages: {@code domain 'vm1' (uuid …, pid 123)}. */
    public String describe() {
        return "domain '" + name + "' (uuid " + uuid + ", pid " + pid + ")";
    }
}

package io.jvirt.driver.vz.migration;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.MigrateOptions;
import io.jvirt.api.VirtException;
import io.jvirt.driver.vz.cache.VzCache;
import io.jvirt.driver.vz.job.SdkCalls;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.job.AsyncJobKind;

import java.util.UUID;
import java.util.function.Function;

/**
 * vz to vz migration in three phases, as the SDK migrates a VM by itself: <b>begin</b> (group 1:
 * checks against the cache, no job), <b>perform</b> (group 2, async job {@code migration out}:
 * the SDK migration on the shared handle, queryable with {@code jobInfo()} and cancelled by
 * {@code abortJob()}), <b>confirm</b> (group 1: the source forgets the domain). The destination
 * then adopts the VM it received.
 */
public final class VzMigration {
    /** What the destination side offers the source. */
    public interface Destination {
        /** The SDK address the source's host migrates to. */
        String address();

        /** The destination's cache, to check for clashes before starting. */
        VzCache cache();

        /** Adopts the VM that arrived (reads it from the destination's SDK). */
        DomainObj receive(UUID uuid);
    }

    private final VzCache cache;
    private final SdkCalls calls;

    public VzMigration(VzCache cache, SdkCalls calls) {
        this.cache = cache;
        this.calls = calls;
    }

    /** Migrates {@code dom} to {@code dest}; returns the domain on the destination. */
    public DomainObj migrate(DomainObj dom, Destination dest, MigrateOptions options, String sourceAddress) {
        String newName = options.getDestinationName().orElse(null);
        begin(dom, dest, newName, sourceAddress);
        Function<io.jvirt.driver.vz.sdk.VmHandle, io.jvirt.driver.vz.sdk.SdkJob<Void>> perform =
                h -> h.migrate(dest.address(), options.isLive(), newName);
        calls.async(dom, AsyncJobKind.MIGRATION_OUT, "migrate", DomainObj::requireActive, perform, true,
                x -> confirm(dom));
        return dest.receive(dom.uuid());
    }

    /** Begin: group 1, the cache only. */
    private void begin(DomainObj dom, Destination dest, String newName, String sourceAddress) {
        if (dest.address().equals(sourceAddress)) {
            throw new VirtException(ErrorCode.OPERATION_INVALID, "Requested operation is not valid: migration of '"
                    + dom.name() + "' to the same host " + sourceAddress);
        }
        String name;
        try (var l = dom.locked()) {
            dom.requireActive();
            name = newName != null ? newName : dom.name();
        }
        DomainObj clash = dest.cache().list().findByUuid(dom.uuid());
        if (clash != null) {
            throw new VirtException(ErrorCode.DOMAIN_EXISTS, "domain '" + clash.name() + "' with uuid " + dom.uuid()
                    + " already exists on the destination");
        }
        for (DomainObj other : dest.cache().list().list(d -> d.name().equals(name))) {
            throw new VirtException(ErrorCode.DOMAIN_EXISTS, "a domain named '" + name + "' already exists on the destination ("
                    + other.uuid() + ")");
        }
    }

    /** Confirm: group 1, forgets the migrated domain on the source (lock held). */
    private void confirm(DomainObj dom) {
        if (!dom.isRemoved()) {
            cache.forget(dom, "Migrated");
        }
    }
}

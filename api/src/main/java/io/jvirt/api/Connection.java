package io.jvirt.api;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * An open connection to one hypervisor driver, obtained from {@link Virt#open(String)}. Holds the
 * driver's resources until closed. Safe for use by many threads.
 */
public interface Connection extends Wrapper, AutoCloseable {
    /** The URI this connection was opened with, normalised. */
    String uri();

    /** The driver's name ({@code "test"}, {@code "QEMU"}, {@code "vz"}). */
    String driverName();

    /** The hypervisor's version. */
    Version version();

    /** The library's own version. */
    default Version libraryVersion() {
        return Virt.libraryVersion();
    }

    /** Domains matching every filter given (all domains when none is). */
    List<Domain> listDomains(ListFilter... filters);

    /** @throws VirtException {@link ErrorCode#NO_DOMAIN} when there is none */
    Domain lookupDomainByName(String name);

    /** @throws VirtException {@link ErrorCode#NO_DOMAIN} when there is none */
    Domain lookupDomainByUuid(UUID uuid);

    /** @throws VirtException {@link ErrorCode#NO_DOMAIN} when no running domain has that id */
    Domain lookupDomainById(int id);

    /** Defines (or redefines) a persistent domain from its XML; does not start it. */
    Domain defineDomain(String xml);

    /** Creates and starts a transient domain from its XML. */
    Domain createDomain(String xml);

    /** Restores a domain saved with {@link Domain#save(Path)} and starts it. */
    Domain restoreDomain(Path file);

    /** The host and guest capabilities and the driver's features. */
    Capabilities capabilities();

    /** Event subscriptions. */
    Events events();

    /** Whether the connection is open and its driver usable. */
    boolean isAlive();

    /** Closes the connection; handles obtained from it stop working. Never throws. */
    @Override
    void close();
}

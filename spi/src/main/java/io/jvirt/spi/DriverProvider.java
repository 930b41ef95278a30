package io.jvirt.spi;

/**
 * A hypervisor driver's entry point, found with {@link java.util.ServiceLoader} (register it with
 * {@code @AutoService(DriverProvider.class)}). Like JDBC's {@code Driver}: it says whether it
 * accepts a URI, and opens a driver instance for it.
 */
public interface DriverProvider {
    /** The driver's short name, listed in errors ({@code test}, {@code qemu}, {@code vz}). */
    String name();

    /** Whether this driver handles {@code uri}; must be cheap and must not connect. */
    boolean accepts(VirtUri uri);

    /**
     * Opens a driver instance for {@code uri}. Each call returns an independent instance that
     * the framework closes with the connection.
     *
     * @throws io.jvirt.api.VirtException {@code NO_CONNECT} when the hypervisor cannot be reached
     */
    HypervisorDriver open(VirtUri uri, DriverContext context);
}

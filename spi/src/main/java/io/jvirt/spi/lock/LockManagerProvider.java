package io.jvirt.spi.lock;

/**
 * A lock-manager plugin, found with {@link java.util.ServiceLoader} by {@link #name()} (register
 * with {@code @AutoService(LockManagerProvider.class)}). Built in: {@code nop}; in other modules:
 * {@code lockd}, {@code sanlock}; third parties add their own.
 */
public interface LockManagerProvider {
    /** The name used in a driver's configuration ({@code lock_manager = "lockd"}). */
    String name();

    /**
     * Creates one plugin instance for a driver.
     *
     * @param driverName the driver's name ({@code qemu}); the plugin's settings come from
     *                   {@code DRIVER-NAME.conf}
     * @param settings   the plugin's settings (possibly empty); unknown or ill-typed settings
     *                   fail with an error naming file and line
     * @throws io.jvirt.api.VirtException {@code INVALID_ARG} on bad settings
     */
    LockManager create(String driverName, ConfFile settings);
}

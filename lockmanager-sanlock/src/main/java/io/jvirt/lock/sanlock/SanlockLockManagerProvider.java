package io.jvirt.lock.sanlock;

import com.google.auto.service.AutoService;
import io.jvirt.spi.lock.ConfFile;
import io.jvirt.spi.lock.LockManager;
import io.jvirt.spi.lock.LockManagerProvider;

/**
 * The {@code sanlock} lock-manager plugin: leases on shared storage through the host's sanlock
 * daemon. Settings come from {@code DRIVER-sanlock.conf}; see {@link SanlockConfig}.
 */
@AutoService(LockManagerProvider.class)
public final class SanlockLockManagerProvider implements LockManagerProvider {
    /** The plugin's name. */
    public static final String NAME = "sanlock";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public LockManager create(String driverName, ConfFile settings) {
        return new SanlockLockManager(SanlockConfig.from(settings));
    }
}

package io.jvirt.spi.lock;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Finds lock-manager plugins and builds a driver's plugin from its configuration directory:
 * {@code DIR/DRIVER.conf} names the plugin ({@code lock_manager = "lockd"}, default
 * {@code nop}); {@code DIR/DRIVER-PLUGIN.conf} holds the plugin's settings.
 */
public final class LockManagers {
    /** The setting in {@code DRIVER.conf} that names the plugin. */
    public static final String LOCK_MANAGER_KEY = "lock_manager";

    private LockManagers() {
    }

    /** The names of every plugin visible to {@code loader}. */
    public static List<String> available(ClassLoader loader) {
        List<String> names = new ArrayList<>();
        for (LockManagerProvider p : ServiceLoader.load(LockManagerProvider.class, loader)) {
            names.add(p.name());
        }
        return names;
    }

    /**
     * The plugin named {@code name}.
     *
     * @throws VirtException {@code CONFIG_UNSUPPORTED} naming the plugins that exist
     */
    public static LockManagerProvider provider(String name, ClassLoader loader) {
        for (LockManagerProvider p : ServiceLoader.load(LockManagerProvider.class, loader)) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new VirtException(ErrorCode.CONFIG_UNSUPPORTED, "lock manager plugin '" + name
                + "' not found (available: " + String.join(", ", available(loader)) + ")");
    }

    /**
     * Reads the lock-manager choice of {@code driverName} from {@code configDir} and creates the
     * plugin with its settings file.
     *
     * @param configDir  the driver's configuration directory (for an embed root, the root)
     * @param driverName the driver's name, e.g. {@code qemu}
     * @param driverConf the driver's own settings (its {@code DRIVER.conf}), already read
     */
    public static LockManager forDriver(Path configDir, String driverName, ConfFile driverConf) {
        String name = driverConf.getString(LOCK_MANAGER_KEY, "nop");
        if (name.isBlank() || !name.matches("[A-Za-z0-9_.-]+")) {
            throw driverConf.error(LOCK_MANAGER_KEY, "bad lock manager name '" + name + "'");
        }
        LockManagerProvider provider = provider(name, LockManagers.class.getClassLoader());
        ConfFile settings = ConfFile.read(configDir.resolve(driverName + "-" + name + ".conf"));
        return provider.create(driverName, settings);
    }

    /** Like {@link #forDriver(Path, String, ConfFile)}, reading {@code DIR/DRIVER.conf} itself. */
    public static LockManager forDriver(Path configDir, String driverName) {
        return forDriver(configDir, driverName, ConfFile.read(configDir.resolve(driverName + ".conf")));
    }
}

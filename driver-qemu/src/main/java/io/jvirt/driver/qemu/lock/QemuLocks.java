package io.jvirt.driver.qemu.lock;

import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.spi.lock.ConfFile;
import io.jvirt.spi.lock.LockManager;
import io.jvirt.spi.lock.LockManagers;
import io.jvirt.spi.lock.LockResource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The QEMU driver's lock manager: the plugin named by {@code lock_manager} in the driver's
 * {@code qemu.conf} (for {@code qemu:///embed?root=DIR}: {@code DIR/qemu.conf}; otherwise the
 * parent of the definitions directory, e.g. {@code /etc/jvirt/qemu.conf}), {@code nop} by default,
 * with its settings from {@code qemu-PLUGIN.conf} beside it. Hands out a {@link DomainLock} per
 * running domain. Thread-safe.
 */
public final class QemuLocks implements AutoCloseable {
    private final LockManager manager;
    private final String driverUri;

    /**
     * @param manager   the plugin instance (owned by this object from now on)
     * @param driverUri the driver's URI, recorded in every owner
     */
    public QemuLocks(LockManager manager, String driverUri) {
        this.manager = manager;
        this.driverUri = driverUri;
    }

    /** Reads {@code configDir/qemu.conf} (already parsed as {@code conf}) and creates the plugin. */
    public static QemuLocks open(Path configDir, ConfFile conf, String driverUri) {
        return new QemuLocks(LockManagers.forDriver(configDir, "qemu", conf), driverUri);
    }

    /** The plugin's name ({@code nop}, {@code lockd}, {@code sanlock}). */
    public String name() {
        return manager.name();
    }

    /** The plugin itself. */
    public LockManager manager() {
        return manager;
    }

    /**
     * The locks of a domain about to be started: the session opens in the spawn helper's pre-exec
     * window ({@link DomainLock#registerHook()}), when QEMU's pid is known.
     */
    public DomainLock forStart(DomainDef def, int id) {
        return new DomainLock(manager, def.uuid(), def.name(), id, driverUri, resources(def));
    }

    /** The locks of a domain whose QEMU already runs (after a driver restart). */
    public DomainLock reattach(DomainDef def, int id, long pid) {
        DomainLock l = forStart(def, id);
        l.attach(pid);
        return l;
    }

    /**
     * What a definition locks: every disk with a source (read-only and CD-ROM media as
     * {@code READONLY}, {@code <shareable/>} as {@code SHARED}, others {@code EXCLUSIVE}) and every
     * {@code <lease>}.
     */
    public static List<LockResource> resources(DomainDef def) {
        List<LockResource> out = new ArrayList<>();
        for (Device dev : def.devices()) {
            switch (dev) {
                case Device.Disk d when d.source() != null && !d.source().isBlank() -> {
                    LockResource.DiskMode mode = d.readonly() || "cdrom".equals(d.device()) ? LockResource.DiskMode.READONLY
                            : d.shareable() ? LockResource.DiskMode.SHARED : LockResource.DiskMode.EXCLUSIVE;
                    out.add(new LockResource.Disk(d.source(), mode));
                }
                case Device.Lease l -> out.add(new LockResource.Lease(l.lockspace(), l.key(), l.path(), l.offset()));
                default -> {
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}

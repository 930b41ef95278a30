package io.jvirt.lock.lockd;

import com.google.auto.service.AutoService;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.spi.lock.ConfFile;
import io.jvirt.spi.lock.LockManager;
import io.jvirt.spi.lock.LockManagerProvider;

import java.nio.file.Path;
import java.util.Set;

/**
 * The {@code lockd} plugin: locks through jvirt-lockd. Settings ({@code DRIVER-lockd.conf}):
 * <ul>
 * <li>{@code socket = "PATH"}: the daemon's socket (default {@link LockdMain#defaultSocket()});</li>
 * <li>{@code file_lockspace_dir = "DIR"}: lock a lease file named by the SHA-256 hex of each
 *     disk's path in DIR (indirect, for shared storage) instead of the disk itself (direct);</li>
 * <li>{@code auto_disk_leases = 0|1} (default 1): lock every disk automatically;</li>
 * <li>{@code require_lease_for_disks = 0|1} (default: the opposite of auto_disk_leases): refuse
 *     to run writable disks without a {@code <lease>} when disks are not locked automatically;</li>
 * <li>{@code readonly_disks = "none"|"shared"} (default none): how read-only disks are locked.</li>
 * </ul>
 */
@AutoService(LockManagerProvider.class)
public final class LockdLockManagerProvider implements LockManagerProvider {
    /** The plugin's name. */
    public static final String NAME = "lockd";
    private static final Set<String> KEYS = Set.of("socket", "file_lockspace_dir", "auto_disk_leases",
            "require_lease_for_disks", "readonly_disks", "lvm_lockspace_dir", "scsi_lockspace_dir");

    /** The plugin's parsed settings. */
    record Settings(Path socket, Path lockspaceDir, boolean autoDiskLeases, boolean requireLeaseForDisks,
                    boolean lockReadonlyShared) {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public LockManager create(String driverName, ConfFile c) {
        c.requireKnown(KEYS);
        for (String k : new String[] {"lvm_lockspace_dir", "scsi_lockspace_dir"}) {
            if (c.keys().contains(k)) {
                VirtException e = c.error(k, "'" + k + "' is not supported by jvirt-lockd (only file_lockspace_dir)");
                throw new VirtException(ErrorCode.CONFIG_UNSUPPORTED, e.getMessage());
            }
        }
        String socket = c.getString("socket", LockdMain.defaultSocket().toString());
        String dir = c.getString("file_lockspace_dir", null);
        if (dir != null && !dir.startsWith("/")) {
            throw c.error("file_lockspace_dir", "file_lockspace_dir must be an absolute path: \"" + dir + "\"");
        }
        if (!socket.startsWith("/")) {
            throw c.error("socket", "socket must be an absolute path: \"" + socket + "\"");
        }
        boolean auto = c.getBoolean("auto_disk_leases", true);
        String ro = c.getString("readonly_disks", "none");
        if (!ro.equals("none") && !ro.equals("shared")) {
            throw c.error("readonly_disks", "readonly_disks must be \"none\" or \"shared\", not \"" + ro + "\"");
        }
        return new LockdLockManager(new Settings(Path.of(socket), dir == null ? null : Path.of(dir), auto,
                c.getBoolean("require_lease_for_disks", !auto), ro.equals("shared")));
    }
}

package io.jvirt.lock.sanlock;

import io.jvirt.spi.lock.ConfFile;

import java.nio.file.Path;
import java.util.Set;

/**
 * The settings of the {@code sanlock} plugin, read from {@code DRIVER-sanlock.conf}
 * ({@code qemu-sanlock.conf}), in the hypervisor-daemon syntax:
 * <pre>
 * auto_disk_leases = 1                       # a lease per disk, created automatically (default 0)
 * disk_lease_dir = "/var/lib/jvirt/sanlock"  # shared storage holding the lockspace and leases
 * host_id = 1                                # this host's id in the lockspace, 1..2000, unique
 * require_lease_for_disks = 1                # default: the opposite of auto_disk_leases
 * io_timeout = 10                            # seconds; 0 = the daemon's default
 * user = "sanlock"                           # owner of created lease files (name or number)
 * group = "sanlock"
 * socket = "/run/sanlock/sanlock.sock"       # the daemon's socket (jvirt extension)
 * </pre>
 *
 * @param autoDiskLeases       lock every writable disk through a lease in {@link #diskLeaseDir}
 * @param diskLeaseDir         the directory on shared storage for the lockspace and disk leases
 * @param hostId               this host's id in the disk lockspace (0 = unset)
 * @param requireLeaseForDisks refuse to run a guest with writable disks but no lease
 * @param ioTimeout            sanlock's I/O timeout for the lockspace, seconds (0 = default)
 * @param user                 owner of created lease files, or {@code null} to leave it
 * @param group                group of created lease files, or {@code null}
 * @param socket               the daemon's socket
 */
public record SanlockConfig(boolean autoDiskLeases, Path diskLeaseDir, int hostId, boolean requireLeaseForDisks,
                            int ioTimeout, String user, String group, Path socket) {

    /** The lockspace that holds jvirt's automatic disk leases (one file of that name in the dir). */
    public static final String DISK_LOCKSPACE = "__JVIRT__DISKS__";
    /** Where disk leases live when {@code disk_lease_dir} is not set. */
    public static final Path DEFAULT_LEASE_DIR = Path.of("/var/lib/jvirt/sanlock");

    static final Set<String> KEYS = Set.of("auto_disk_leases", "disk_lease_dir", "host_id",
            "require_lease_for_disks", "io_timeout", "user", "group", "socket");

    /** The daemon's socket: {@code $SANLOCK_RUN_DIR/sanlock.sock}, default {@code /run/sanlock}. */
    public static Path defaultSocket() {
        String dir = System.getenv("SANLOCK_RUN_DIR");
        return Path.of(dir == null || dir.isBlank() ? "/run/sanlock" : dir, "sanlock.sock");
    }

    /**
     * Reads and checks the settings; every problem names the file and line.
     *
     * @throws io.jvirt.api.VirtException {@code INVALID_ARG}
     */
    public static SanlockConfig from(ConfFile conf) {
        conf.requireKnown(KEYS);
        boolean auto = conf.getBoolean("auto_disk_leases", false);
        String dir = conf.getString("disk_lease_dir", DEFAULT_LEASE_DIR.toString());
        if (dir.isBlank() || !Path.of(dir).isAbsolute()) {
            throw conf.error("disk_lease_dir", "disk_lease_dir must be an absolute path, not '" + dir + "'");
        }
        checkPathLength(conf, "disk_lease_dir", dir);
        long hostId = conf.getLong("host_id", 0);
        if (hostId < 0 || hostId > Wire.MAX_HOST_ID) {
            throw conf.error("host_id", "host_id must be between 1 and " + Wire.MAX_HOST_ID + ", not " + hostId);
        }
        if (auto && hostId == 0) {
            throw conf.error(conf.keys().contains("host_id") ? "host_id" : "auto_disk_leases",
                    "auto_disk_leases = 1 needs host_id = N (1.." + Wire.MAX_HOST_ID + ", unique per host)");
        }
        boolean require = conf.getBoolean("require_lease_for_disks", !auto);
        long io = conf.getLong("io_timeout", 0);
        if (io < 0 || io > 300) {
            throw conf.error("io_timeout", "io_timeout must be between 0 (the daemon's default) and 300 seconds, not " + io);
        }
        String user = conf.getString("user", null);
        String group = conf.getString("group", null);
        if (user != null && user.isBlank()) {
            throw conf.error("user", "user must not be empty");
        }
        if (group != null && group.isBlank()) {
            throw conf.error("group", "group must not be empty");
        }
        String socket = conf.getString("socket", null);
        Path sock = defaultSocket();
        if (socket != null) {
            if (socket.isBlank() || !Path.of(socket).isAbsolute()) {
                throw conf.error("socket", "socket must be an absolute path, not '" + socket + "'");
            }
            sock = Path.of(socket);
        }
        return new SanlockConfig(auto, Path.of(dir), (int) hostId, require, (int) io, user, group, sock);
    }

    private static void checkPathLength(ConfFile conf, String key, String dir) {
        // a lease file is DIR/<32 hex chars>; the whole path must fit sanlock's 1024-byte field
        if (dir.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Wire.PATH_LEN - 64) {
            throw conf.error(key, key + " is too long for sanlock's " + Wire.PATH_LEN + "-byte path field");
        }
    }
}

package io.jvirt.lock.sanlock;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.lock.sanlock.SanlockClient.SanlockIOException;
import io.jvirt.lock.sanlock.SanlockClient.SanlockResultException;
import io.jvirt.spi.lock.LockManager;
import io.jvirt.spi.lock.LockOwner;
import io.jvirt.spi.lock.LockResource;
import io.jvirt.spi.lock.LockSession;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@code sanlock} plugin instance of one driver: a client of the host's sanlock daemon.
 * With {@code auto_disk_leases = 1} it joins the lockspace {@value SanlockConfig#DISK_LOCKSPACE}
 * (a file of that name in {@code disk_lease_dir}) as {@code host_id} on first use, and gives
 * every writable disk a lease file in that directory named by the first 32 hex digits of the
 * SHA-256 of the disk's path, initialising both through the daemon when they do not exist yet.
 * Thread-safe; no lock is held while talking to the daemon.
 */
public final class SanlockLockManager implements LockManager {
    private static final System.Logger LOG = System.getLogger(SanlockLockManager.class.getName());
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final SanlockConfig config;
    private final SanlockClient client;
    private final Duration joinTimeout;
    private final AtomicReference<CompletableFuture<Void>> join = new AtomicReference<>();

    /** A plugin instance for {@code config} with the standard time limits. */
    public SanlockLockManager(SanlockConfig config) {
        this(config, TIMEOUT, slowTimeout(config.ioTimeout() == 0 ? 10 : config.ioTimeout()));
    }

    /**
     * The bound on joining and acquiring. The daemon may legitimately wait that long: for a host
     * id or lease whose holder stopped renewing, until that host counts as dead (8 x io_timeout
     * + the 60 s watchdog fire timeout), plus a few more I/O rounds (7 x io_timeout), plus margin.
     */
    static Duration slowTimeout(int ioTimeout) {
        return Duration.ofSeconds(15L * ioTimeout + 90);
    }

    SanlockLockManager(SanlockConfig config, Duration timeout, Duration joinTimeout) {
        this.config = config;
        this.joinTimeout = joinTimeout;
        this.client = new SanlockClient(config.socket(), timeout, joinTimeout);
    }

    @Override
    public String name() {
        return SanlockLockManagerProvider.NAME;
    }

    /** The settings in effect. */
    public SanlockConfig config() {
        return config;
    }

    SanlockClient client() {
        return client;
    }

    @Override
    public LockSession session(LockOwner owner, List<LockResource> resources) {
        return new SanlockSession(this, owner, List.copyOf(resources));
    }

    /**
     * Makes sure this host has joined the disk lockspace (creating and initialising the
     * lockspace file first if it does not exist). Joining takes a few seconds (about
     * {@code 2 * io_timeout + 1}); concurrent callers share one attempt; a failed attempt is
     * retried by the next caller. A no-op unless {@code auto_disk_leases = 1}.
     *
     * @throws VirtException {@code OPERATION_FAILED} when the daemon is unreachable or refuses
     */
    public void ensureLockspace() {
        if (!config.autoDiskLeases()) {
            return;
        }
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> current = join.compareAndExchange(null, mine);
        if (current == null) {
            try {
                joinLockspace();
                mine.complete(null);
            } catch (RuntimeException e) {
                join.set(null); // let the next caller try again
                mine.completeExceptionally(e);
                throw e;
            }
            return;
        }
        try {
            current.get(joinTimeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof VirtException v ? new VirtException(v.code(), v.getMessage(), v)
                    : new VirtException(ErrorCode.OPERATION_FAILED, "joining the sanlock lockspace failed: " + e.getCause(), e);
        } catch (TimeoutException e) {
            throw new VirtException(ErrorCode.OPERATION_TIMEOUT, "joining the sanlock lockspace "
                    + SanlockConfig.DISK_LOCKSPACE + " took longer than " + joinTimeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VirtException(ErrorCode.OPERATION_ABORTED, "interrupted while joining the sanlock lockspace");
        }
    }

    private void joinLockspace() {
        Path file = lockspaceFile();
        Wire.Disk disk = new Wire.Disk(file.toString(), 0);
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(config.diskLeaseDir());
                initialise(file, tmp -> client.writeLockspace(SanlockConfig.DISK_LOCKSPACE, new Wire.Disk(tmp.toString(), 0),
                        config.ioTimeout()));
            }
            int state = client.inqLockspace(SanlockConfig.DISK_LOCKSPACE, config.hostId(), disk);
            if (state == 0) {
                return;
            }
            long t0 = System.nanoTime();
            int r = client.addLockspace(SanlockConfig.DISK_LOCKSPACE, config.hostId(), disk, config.ioTimeout());
            if (r == Wire.EINPROGRESS) {
                // someone else's join is under way: wait for it, bounded
                long deadline = System.nanoTime() + joinTimeout.toNanos();
                while ((r = client.inqLockspace(SanlockConfig.DISK_LOCKSPACE, config.hostId(), disk)) == Wire.EINPROGRESS
                        && System.nanoTime() - deadline < 0) {
                    Thread.sleep(200);
                }
            }
            if (r != 0 && r != Wire.EEXIST) {
                throw new VirtException(ErrorCode.OPERATION_FAILED, "sanlock refused to join lockspace "
                        + SanlockConfig.DISK_LOCKSPACE + " at " + file + " as host_id " + config.hostId() + ": "
                        + Wire.describe(r));
            }
            LOG.log(System.Logger.Level.INFO, "joined sanlock lockspace {0} as host_id {1} in {2} ms",
                    SanlockConfig.DISK_LOCKSPACE, config.hostId(), (System.nanoTime() - t0) / 1_000_000);
        } catch (SanlockIOException | SanlockResultException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot join sanlock lockspace "
                    + SanlockConfig.DISK_LOCKSPACE + " at " + file + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot create sanlock lockspace file " + file + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VirtException(ErrorCode.OPERATION_ABORTED, "interrupted while joining the sanlock lockspace");
        }
    }

    /** The lockspace file in the lease directory. */
    Path lockspaceFile() {
        return config.diskLeaseDir().resolve(SanlockConfig.DISK_LOCKSPACE);
    }

    /** The resource (lease name) of a disk path: 32 hex digits of its SHA-256. */
    static String leaseName(String diskPath) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(diskPath.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The automatic lease of {@code disk}, its file created and initialised if missing. */
    Wire.Resource diskLease(String diskPath, boolean shared) {
        String name = leaseName(diskPath);
        Path file = config.diskLeaseDir().resolve(name);
        if (!Files.exists(file)) {
            try {
                initialise(file, tmp -> client.writeResource(new Wire.Resource(SanlockConfig.DISK_LOCKSPACE, name, 0, 0,
                        List.of(new Wire.Disk(tmp.toString(), 0)))));
            } catch (SanlockIOException | SanlockResultException e) {
                throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot create the sanlock lease of disk " + diskPath
                        + " at " + file + ": " + e.getMessage(), e);
            } catch (IOException e) {
                throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot create the sanlock lease of disk " + diskPath
                        + " at " + file + ": " + e.getMessage(), e);
            }
        }
        return new Wire.Resource(SanlockConfig.DISK_LOCKSPACE, name, 0, shared ? Wire.RES_SHARED : 0,
                List.of(new Wire.Disk(file.toString(), 0)));
    }

    private interface Init {
        void write(Path tmp) throws SanlockIOException, SanlockResultException;
    }

    /**
     * Creates {@code file} complete or not at all, also against other hosts doing the same: the
     * daemon initialises a private temporary file, which is then hard-linked to the final name
     * (link(2) fails if the name exists, so the first host wins and the others use its file).
     */
    private void initialise(Path file, Init init) throws IOException, SanlockIOException, SanlockResultException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp-" + UUID.randomUUID());
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-rw----")));
        try {
            setOwner(tmp);
            init.write(tmp);
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.createLink(file, tmp);
                LOG.log(System.Logger.Level.DEBUG, "initialised sanlock lease area {0}", file);
            } catch (FileAlreadyExistsException e) {
                LOG.log(System.Logger.Level.DEBUG, "sanlock lease area {0} was created meanwhile", file);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void setOwner(Path p) throws IOException {
        if (config.user() == null && config.group() == null) {
            return;
        }
        UserPrincipalLookupService lookup = p.getFileSystem().getUserPrincipalLookupService();
        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class);
        if (config.user() != null) {
            UserPrincipal u = lookup.lookupPrincipalByName(config.user());
            view.setOwner(u);
        }
        if (config.group() != null) {
            GroupPrincipal g = lookup.lookupPrincipalByGroupName(config.group());
            view.setGroup(g);
        }
    }

    @Override
    public void close() {
        // nothing held: every command uses its own connection; the lockspace stays joined for
        // guests still running (leaving it would make the daemon kill them)
    }
}

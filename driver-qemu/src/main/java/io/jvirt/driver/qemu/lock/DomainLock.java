package io.jvirt.driver.qemu.lock;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.spi.lock.AcquireFlag;
import io.jvirt.spi.lock.LockManager;
import io.jvirt.spi.lock.LockOwner;
import io.jvirt.spi.lock.LockResource;
import io.jvirt.spi.lock.LockSession;
import io.jvirt.spi.process.PassedSocket;
import io.jvirt.spi.process.PreExecHook;

import java.io.FileDescriptor;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The locks of one running domain, called at the points the lock-manager contract fixes:
 * <ol>
 * <li>{@link #registerHook()} — in the spawn helper's pre-exec window, the session opens with
 *     QEMU's own pid and registers it over the connections the child made
 *     ({@code REGISTER_ONLY} + {@code RESTRICT}); a refusal aborts the spawn;</li>
 * <li>{@link #acquire(String)} — before every {@code cont} (start, resume);</li>
 * <li>{@link #release()} — after every {@code stop} (suspend), and when a {@code cont} fails.</li>
 * </ol>
 * Calls do I/O to the lock service: callers make them with the domain lock dropped.
 */
public final class DomainLock implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DomainLock.class.getName());
    private final LockManager manager;
    private final UUID uuid;
    private final String name;
    private final int id;
    private final String driverUri;
    private final List<LockResource> resources;
    private volatile LockSession session;

    DomainLock(LockManager manager, UUID uuid, String name, int id, String driverUri, List<LockResource> resources) {
        this.manager = manager;
        this.uuid = uuid;
        this.name = name;
        this.id = id;
        this.driverUri = driverUri;
        this.resources = List.copyOf(resources);
    }

    /** The resources this domain locks. */
    public List<LockResource> resources() {
        return resources;
    }

    /** The plugin's name. */
    public String pluginName() {
        return manager.name();
    }

    private LockOwner owner(long pid) {
        return new LockOwner(uuid, name, id, pid, driverUri);
    }

    /** Opens the session for an already running QEMU (no I/O). */
    void attach(long pid) {
        session = manager.session(owner(pid), resources);
    }

    /**
     * The pre-exec hook that registers QEMU's process as the owner. The sockets the child must
     * connect to are the plugin's {@link LockSession#connectPaths()} (asked of a session that does
     * no I/O; the real session opens with the child's pid in {@link PreExecHook#beforeExec}).
     */
    public PreExecHook registerHook() {
        List<Path> paths;
        try (LockSession probe = manager.session(owner(ProcessHandle.current().pid()), resources)) {
            paths = List.copyOf(probe.connectPaths());
        }
        return new PreExecHook() {
            @Override
            public String name() {
                return "lock manager " + manager.name();
            }

            @Override
            public List<Path> sockets() {
                return paths;
            }

            @Override
            public RuntimeException connectFailed(Path socket, String reason) {
                // the plugin names its service and how to start it (the session does no I/O)
                try (LockSession probe = manager.session(owner(ProcessHandle.current().pid()), resources)) {
                    return probe.unreachable(socket, reason);
                }
            }

            @Override
            public void beforeExec(long pid, List<PassedSocket> sockets) {
                LockSession s = manager.session(owner(pid), resources);
                try {
                    List<FileDescriptor> fds = sockets.stream().map(PassedSocket::fileDescriptor).toList();
                    s.acquire(null, EnumSet.of(AcquireFlag.REGISTER_ONLY, AcquireFlag.RESTRICT), fds);
                } catch (RuntimeException e) {
                    s.close();
                    if (e instanceof VirtException v) {
                        throw new VirtException(v.code(), "lock manager '" + manager.name() + "' refused to register domain '"
                                + name + "': " + v.getMessage(), v);
                    }
                    throw new VirtException(ErrorCode.OPERATION_FAILED, "lock manager '" + manager.name()
                            + "' failed to register domain '" + name + "': " + e, e);
                }
                session = s;
            }

            @Override
            public void aborted(long pid, Throwable cause) {
                close();
            }
        };
    }

    private LockSession session() {
        LockSession s = session;
        if (s == null) {
            throw new VirtException(ErrorCode.INTERNAL_ERROR, "domain '" + name + "' has no lock session (QEMU not registered)");
        }
        return s;
    }

    /**
     * Acquires every disk and lease, all or nothing, before the vCPUs start.
     *
     * @param state the state a previous {@link #release()} returned, or null
     * @throws VirtException {@code RESOURCE_BUSY} "resource busy: DISK is locked by OWNER", or the
     *                       plugin's error when its service is unreachable
     */
    public void acquire(String state) {
        session().acquire(state, Set.of(), List.of());
    }

    /** Releases everything after the vCPUs stopped; returns the state to keep (never null). */
    public String release() {
        return session().release();
    }

    /** Releases, logging instead of throwing (the rollback of a failed {@code cont}). */
    public String releaseQuietly() {
        try {
            return release();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "domain ''{0}'': releasing its locks failed: {1}", name, e.getMessage());
            return null;
        }
    }

    /** Drops the client-side session; the owner's locks end with QEMU's process. */
    @Override
    public void close() {
        LockSession s = session;
        session = null;
        if (s != null) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing the lock session of " + name + ": " + e.getMessage());
            }
        }
    }
}

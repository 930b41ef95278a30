package io.jvirt.lock.lockd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.spi.lock.AcquireFlag;
import io.jvirt.spi.lock.LockManager;
import io.jvirt.spi.lock.LockOwner;
import io.jvirt.spi.lock.LockResource;
import io.jvirt.spi.lock.LockSession;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/** The {@code lockd} plugin instance of one driver. */
final class LockdLockManager implements LockManager {
    private final LockdLockManagerProvider.Settings settings;

    LockdLockManager(LockdLockManagerProvider.Settings settings) {
        this.settings = settings;
    }

    @Override
    public String name() {
        return LockdLockManagerProvider.NAME;
    }

    @Override
    public LockSession session(LockOwner owner, List<LockResource> resources) {
        return new Session(owner, List.copyOf(resources));
    }

    @Override
    public void close() {
    }

    /** One lock request as sent to the daemon. */
    record Target(String file, String name, boolean exclusive, boolean create) {
    }

    /** The SHA-256 hex of a disk path: the lease file's name in the lockspace directory. */
    static String leaseName(String diskPath) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(diskPath.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    List<Target> targets(List<LockResource> resources) {
        List<Target> out = new ArrayList<>();
        boolean writableDisk = false;
        boolean lease = false;
        for (LockResource r : resources) {
            switch (r) {
                case LockResource.Disk d -> {
                    if (!d.path().startsWith("/")) {
                        throw new VirtException(ErrorCode.INVALID_ARG, "disk path must be absolute for locking: " + d.path());
                    }
                    writableDisk |= d.mode() != LockResource.DiskMode.READONLY;
                    if (!settings.autoDiskLeases()
                            || (d.mode() == LockResource.DiskMode.READONLY && !settings.lockReadonlyShared())) {
                        continue;
                    }
                    boolean exclusive = d.mode() == LockResource.DiskMode.EXCLUSIVE;
                    String path = Path.of(d.path()).normalize().toString();
                    if (settings.lockspaceDir() == null) {
                        out.add(new Target(path, d.path(), exclusive, false));
                    } else {
                        out.add(new Target(settings.lockspaceDir().resolve(leaseName(path)).toString(), d.path(), exclusive, true));
                    }
                }
                case LockResource.Lease l -> {
                    lease = true;
                    String file;
                    if (l.path() != null) {
                        file = l.path();
                    } else if (settings.lockspaceDir() != null) {
                        file = settings.lockspaceDir().resolve(l.lockspace()).resolve(l.key()).toString();
                    } else {
                        throw new VirtException(ErrorCode.CONFIG_UNSUPPORTED, l.describe()
                                + " has no path and no file_lockspace_dir is configured for lockd");
                    }
                    out.add(new Target(file, l.describe(), true, true));
                }
            }
        }
        if (!settings.autoDiskLeases() && settings.requireLeaseForDisks() && writableDisk && !lease) {
            throw new VirtException(ErrorCode.CONFIG_UNSUPPORTED, "the domain has writable disks but no <lease>, "
                    + "and lockd is configured with auto_disk_leases = 0 and require_lease_for_disks = 1");
        }
        return out;
    }

    private final class Session implements LockSession {
        private final LockOwner owner;
        private final List<LockResource> resources;
        /** The driver's connection to the daemon, kept between calls (see {@link #registeredCall}). */
        private final AtomicReference<LockdClient> kept = new AtomicReference<>();
        private volatile boolean closed;

        Session(LockOwner owner, List<LockResource> resources) {
            this.owner = owner;
            this.resources = resources;
        }

        @Override
        public LockOwner owner() {
            return owner;
        }

        @Override
        public List<LockResource> resources() {
            return resources;
        }

        @Override
        public List<Path> connectPaths() {
            return List.of(settings.socket());
        }

        @Override
        public VirtException unreachable(Path socket, String reason) {
            return LockdClient.notRunning(socket, reason, "register domain '" + owner.name() + "'", null);
        }

        private ObjectNode register(boolean restrict) {
            ObjectNode req = Protocol.JSON.createObjectNode().put("cmd", "register").put("restrict", restrict);
            req.set("owner", Protocol.JSON.createObjectNode().put("uuid", owner.uuid().toString())
                    .put("name", owner.name()).put("id", owner.id()).put("pid", owner.pid()).put("uri", owner.driverUri()));
            return req;
        }

        @Override
        public void acquire(String state, Set<AcquireFlag> flags, List<FileDescriptor> connections) {
            if (state != null && !state.isEmpty()) {
                try {
                    if (!Protocol.JSON.readTree(state).isArray()) {
                        throw new IOException("not an array");
                    }
                } catch (IOException e) {
                    throw new VirtException(ErrorCode.INVALID_ARG, "bad lockd lock state for " + owner.describe() + ": " + state);
                }
            }
            if (flags.contains(AcquireFlag.REGISTER_ONLY)) {
                if (!flags.contains(AcquireFlag.RESTRICT)) {
                    throw new VirtException(ErrorCode.INVALID_ARG, "lockd registers the child's connection only with RESTRICT");
                }
                if (connections.size() != 1) {
                    throw new VirtException(ErrorCode.INVALID_ARG, "lockd needs exactly one connection (to "
                            + settings.socket() + ") made by the child, got " + connections.size());
                }
                LockdClient.callOver(connections.getFirst(), register(true));
                return; // the first acquire makes the session's own connection (drivers run it beside QEMU's start-up)
            }
            if (!connections.isEmpty()) {
                throw new VirtException(ErrorCode.INVALID_ARG, "connections are only used with REGISTER_ONLY");
            }
            List<Target> targets = targets(resources);
            ArrayNode arr = Protocol.JSON.createArrayNode();
            for (Target t : targets) {
                if (t.create()) {
                    try {
                        Files.createDirectories(Path.of(t.file()).getParent());
                    } catch (IOException e) {
                        throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot create lockspace directory for "
                                + t.name() + ": " + e.getMessage(), e);
                    }
                }
                arr.addObject().put("file", t.file()).put("name", t.name())
                        .put("mode", t.exclusive() ? "exclusive" : "shared").put("create", t.create());
            }
            ObjectNode req = Protocol.JSON.createObjectNode().put("cmd", "acquire");
            req.set("resources", arr);
            JsonNode[] r = registeredCall(req, "acquire locks for " + owner.describe());
            LockdClient.check(r[0]);
            LockdClient.check(r[1]);
        }

        private String stateCall(String cmd, boolean withFiles) {
            ObjectNode req = Protocol.JSON.createObjectNode().put("cmd", cmd);
            if (withFiles) {
                ArrayNode files = req.putArray("files");
                targets(resources).forEach(t -> files.add(t.file()));
            }
            JsonNode[] r = registeredCall(req, cmd + " locks of " + owner.describe());
            try {
                LockdClient.check(r[0]);
            } catch (VirtException e) {
                if (e.code() == ErrorCode.OPERATION_INVALID) {
                    return "[]"; // the owner is gone, and so are its locks
                }
                throw e;
            }
            return LockdClient.check(r[1]).path("state").asText("[]");
        }

        /**
         * {@code register} (by uuid and pid, as before every command: the daemon checks each time
         * that the owner is still registered and alive) and {@code req}, sent together over the
         * session's kept connection: one round trip, no connect. The connection is kept between
         * calls (never two callers on it: it is taken out while in use, a concurrent caller makes
         * its own); one the daemon closed (idle timeout, restart) is replaced, and a call that
         * broke on a kept connection is sent once more on a new one — both requests may be
         * repeated (register, acquire of what the owner holds, release and inquire are). The
         * connection carries no lock lifetime: the owner's locks live with QEMU's restricted
         * connection only. Returns both replies, unchecked.
         */
        private JsonNode[] registeredCall(ObjectNode req, String purpose) {
            LockdClient c = kept.getAndSet(null);
            if (c != null && !c.usable()) {
                c.close();
                c = null;
            }
            if (c != null) {
                try {
                    return exchangeAndKeep(c, req);
                } catch (VirtException e) {
                    if (!LockdClient.broken(e)) {
                        throw e;
                    }
                }
            }
            return exchangeAndKeep(LockdClient.connect(settings.socket(), purpose), req);
        }

        /** {@code register} + {@code req} over {@code c}; keeps {@code c} afterwards, or closes it on failure. */
        private JsonNode[] exchangeAndKeep(LockdClient c, ObjectNode req) {
            try {
                JsonNode[] r = c.exchange(register(false), req);
                keep(c);
                return r;
            } catch (VirtException e) {
                c.close();
                throw e;
            }
        }

        /** Keeps {@code c} for the next call, unless another is kept already or the session closed. */
        private void keep(LockdClient c) {
            if (!kept.compareAndSet(null, c)) {
                c.close();
            } else if (closed && kept.compareAndSet(c, null)) {
                c.close(); // the session closed meanwhile
            }
        }

        @Override
        public String release() {
            return stateCall("release", true);
        }

        @Override
        public String inquire() {
            return stateCall("inquire", false);
        }

        @Override
        public void close() {
            closed = true;
            LockdClient c = kept.getAndSet(null);
            if (c != null) {
                c.close();
            }
        }
    }
}

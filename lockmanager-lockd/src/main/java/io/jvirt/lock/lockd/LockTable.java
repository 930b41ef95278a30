package io.jvirt.lock.lockd;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.ErrorCode;
import io.jvirt.spi.lock.OfdLock;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The daemon's owners and locks. Each lock file has exactly one open descriptor here, holding an
 * OFD lock on byte 0 (shared or exclusive); several owners may share a shared one. An owner
 * lives while at least one of its restricted connections is open and its process is alive.
 * All methods are synchronized; they do local file I/O only.
 */
final class LockTable {
    private static final System.Logger LOG = System.getLogger(LockTable.class.getName());

    /** An owner as registered: the domain and its process. */
    record OwnerInfo(UUID uuid, String name, int id, long pid, String uri) {
        String describe() {
            return "domain '" + name + "' (uuid " + uuid + ", pid " + pid + ")";
        }
    }

    /** One resource of an acquire request. */
    record Request(Path file, String name, boolean exclusive, boolean create) {
    }

    static final class Owner {
        final OwnerInfo info;
        int connections;
        final Set<Path> files = new LinkedHashSet<>();

        Owner(OwnerInfo info) {
            this.info = info;
        }
    }

    static final class Held {
        final Path file;
        final String name;
        final int fd;
        final boolean exclusive;
        /** A lease file of ours (not a disk): it carries the exclusive holder's description. */
        final boolean leaseFile;
        final Set<UUID> holders = new LinkedHashSet<>();

        Held(Path file, String name, int fd, boolean exclusive, boolean leaseFile) {
            this.file = file;
            this.name = name;
            this.fd = fd;
            this.exclusive = exclusive;
            this.leaseFile = leaseFile;
        }
    }

    private final Map<UUID, Owner> owners = new LinkedHashMap<>();
    private final Map<Path, Held> locks = new TreeMap<>();
    private final String host = hostName();

    /** A restricted connection of {@code info} opened: creates the owner or counts the connection. */
    synchronized void attach(OwnerInfo info) throws LockdException {
        Owner o = owners.get(info.uuid());
        if (o != null && o.info.pid() != info.pid()) {
            if (alive(o.info.pid())) {
                throw new LockdException(ErrorCode.OPERATION_INVALID, "domain uuid " + info.uuid()
                        + " is already registered for live pid " + o.info.pid() + ", not " + info.pid());
            }
            drop(o, "its process " + o.info.pid() + " is gone");
            o = null;
        }
        if (o == null) {
            o = new Owner(info);
            owners.put(info.uuid(), o);
            LOG.log(System.Logger.Level.INFO, "registered owner {0}", info.describe());
        }
        o.connections++;
    }

    /** A restricted connection of {@code uuid} closed: the last one ends the owner and its locks. */
    synchronized void detach(UUID uuid) {
        Owner o = owners.get(uuid);
        if (o != null && --o.connections <= 0) {
            drop(o, "its process closed its connection");
        }
    }

    /**
     * The registered owner matching {@code info} (same uuid and pid). An owner without a
     * restricted connection (its registration was lost with a crashed daemon) is adopted when
     * its process is alive; its locks then end when the sweep finds the process gone.
     */
    synchronized OwnerInfo lookup(OwnerInfo info) throws LockdException {
        Owner o = owners.get(info.uuid());
        if (o != null && !alive(o.info.pid())) {
            drop(o, "its process " + o.info.pid() + " is gone");
            o = null;
        }
        if (o == null) {
            if (!alive(info.pid())) {
                throw new LockdException(ErrorCode.OPERATION_INVALID, info.describe()
                        + " is not registered and its process is not running");
            }
            o = new Owner(info);
            owners.put(info.uuid(), o);
            LOG.log(System.Logger.Level.WARNING, "adopted owner {0} without a restricted connection; "
                    + "its locks end when the sweep finds its process gone", info.describe());
        }
        if (o.info.pid() != info.pid()) {
            throw new LockdException(ErrorCode.OPERATION_INVALID, "domain uuid " + info.uuid()
                    + " is registered for pid " + o.info.pid() + ", not " + info.pid());
        }
        return o.info;
    }

    /** Takes every requested lock for {@code uuid}, all or nothing; returns the new state. */
    synchronized String acquire(UUID uuid, List<Request> requests) throws LockdException {
        Owner owner = owners.get(uuid);
        if (owner == null) {
            throw new LockdException(ErrorCode.OPERATION_INVALID, "owner " + uuid + " is not registered");
        }
        List<Path> added = new ArrayList<>();
        try {
            for (Request r : requests) {
                Path key = canonical(r);
                if (take(owner, key, r)) {
                    added.add(key);
                }
            }
        } catch (LockdException e) {
            for (Path p : added) {
                unhold(owner, p);
            }
            throw e;
        }
        return state(owner);
    }

    private boolean take(Owner owner, Path key, Request r) throws LockdException {
        for (int attempt = 0; ; attempt++) {
            Held h = locks.get(key);
            if (h == null) {
                break;
            }
            if (h.holders.contains(owner.info.uuid())) {
                if (h.exclusive || !r.exclusive()) {
                    return false;
                }
                throw new LockdException(ErrorCode.OPERATION_INVALID, r.name() + " is already locked shared by "
                        + owner.info.describe() + "; release it before locking it exclusively");
            }
            if (!h.exclusive && !r.exclusive()) {
                h.holders.add(owner.info.uuid());
                owner.files.add(key);
                return true;
            }
            Owner other = owners.get(h.holders.iterator().next());
            if (attempt == 0 && other != null && !alive(other.info.pid())) {
                drop(other, "its process " + other.info.pid() + " is gone");
                continue;
            }
            throw busy(r.name(), other == null ? "an unknown owner" : other.info.describe() + " on " + host);
        }
        int fd;
        try {
            fd = OfdLock.open(key, (r.exclusive() ? OfdLock.O_RDWR : OfdLock.O_RDONLY) | (r.create() ? OfdLock.O_CREAT : 0));
        } catch (IOException e) {
            throw new LockdException(ErrorCode.SYSTEM_ERROR, "cannot lock " + r.name() + ": " + e.getMessage());
        }
        try {
            if (!OfdLock.tryLock(fd, 0, 1, r.exclusive())) {
                String who = describeForeign(key, fd, r.exclusive(), r.create());
                OfdLock.close(fd);
                throw busy(r.name(), who);
            }
            if (r.create() && r.exclusive()) {
                Files.writeString(key, owner.info.describe() + " on " + host + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            }
        } catch (IOException e) {
            closeQuietly(fd);
            throw new LockdException(ErrorCode.SYSTEM_ERROR, "cannot lock " + r.name() + ": " + e.getMessage());
        }
        Held h = new Held(key, r.name(), fd, r.exclusive(), r.create());
        h.holders.add(owner.info.uuid());
        locks.put(key, h);
        owner.files.add(key);
        LOG.log(System.Logger.Level.INFO, "{0} locked {1} ({2})", owner.info.describe(), r.name(),
                r.exclusive() ? "exclusive" : "shared");
        return true;
    }

    private static LockdException busy(String name, String who) {
        return new LockdException(ErrorCode.RESOURCE_BUSY, "resource busy: " + name + " is locked by " + who);
    }

    /** Who holds a lock this daemon does not know about: the lease file's note, or the kernel's view. */
    private static String describeForeign(Path key, int fd, boolean exclusive, boolean leaseFile) {
        OfdLock.Holder h;
        try {
            h = OfdLock.conflict(fd, 0, 1, exclusive);
        } catch (IOException e) {
            return "another holder";
        }
        if (h == null) {
            return "another holder (released meanwhile; try again)";
        }
        if (leaseFile && h.exclusive()) {
            try {
                String note = Files.readString(key, StandardCharsets.UTF_8).strip();
                if (!note.isEmpty() && note.length() < 1024) {
                    return note;
                }
            } catch (IOException ignored) {
                // fall back to the kernel's view
            }
        }
        return h.describe();
    }

    /** Releases {@code files} (all when null) of {@code uuid}; returns the state before. */
    synchronized String release(UUID uuid, Collection<Path> files) {
        Owner o = owners.get(uuid);
        if (o == null) {
            return "[]";
        }
        String before = state(o);
        for (Path p : List.copyOf(files == null ? o.files : files)) {
            unhold(o, p);
            if (files != null) {
                try {
                    unhold(o, p.toRealPath());
                } catch (IOException ignored) {
                    // no such file: nothing held under its real name
                }
            }
        }
        return before;
    }

    /** The owner's lock state: a JSON array of {file, mode}, sorted. */
    synchronized String inquire(UUID uuid) {
        Owner o = owners.get(uuid);
        return o == null ? "[]" : state(o);
    }

    private String state(Owner o) {
        ArrayNode arr = Protocol.JSON.createArrayNode();
        o.files.stream().sorted().forEach(p -> {
            Held h = locks.get(p);
            if (h != null) {
                arr.addObject().put("file", p.toString()).put("name", h.name).put("mode", h.exclusive ? "exclusive" : "shared");
            }
        });
        return arr.toString();
    }

    private void unhold(Owner o, Path p) {
        o.files.remove(p);
        Held h = locks.get(p);
        if (h == null || !h.holders.remove(o.info.uuid())) {
            return;
        }
        if (h.holders.isEmpty()) {
            locks.remove(p);
            try {
                if (h.leaseFile && h.exclusive) {
                    Files.write(p, new byte[0], StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
                }
                OfdLock.unlock(h.fd, 0, 1);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "unlock of " + p + " failed: " + e.getMessage());
            }
            closeQuietly(h.fd);
            LOG.log(System.Logger.Level.INFO, "{0} released {1}", o.info.describe(), h.name);
        }
    }

    private void drop(Owner o, String why) {
        for (Path p : List.copyOf(o.files)) {
            unhold(o, p);
        }
        owners.remove(o.info.uuid());
        LOG.log(System.Logger.Level.INFO, "owner {0} ended ({1}); its locks are released", o.info.describe(), why);
    }

    /** Ends owners whose process is gone; returns how many. */
    synchronized int sweep() {
        int n = 0;
        for (Owner o : List.copyOf(owners.values())) {
            if (!alive(o.info.pid())) {
                drop(o, "its process " + o.info.pid() + " is gone");
                n++;
            }
        }
        return n;
    }

    /** Every lock and owner, for {@code list}. */
    synchronized ObjectNode list() {
        ObjectNode out = Protocol.ok();
        ArrayNode la = out.putArray("locks");
        for (Held h : locks.values()) {
            ObjectNode n = la.addObject().put("file", h.file.toString()).put("name", h.name)
                    .put("mode", h.exclusive ? "exclusive" : "shared");
            ArrayNode ha = n.putArray("owners");
            h.holders.forEach(u -> ha.add(u.toString()));
        }
        ArrayNode oa = out.putArray("owners");
        for (Owner o : owners.values()) {
            oa.add(Wire.owner(o.info).put("connections", o.connections));
        }
        return out;
    }

    // ---- hand-over ----

    /** A snapshot for hand-over: the locks (with descriptors) and owners. */
    synchronized List<Held> heldLocks() {
        return List.copyOf(locks.values());
    }

    synchronized Collection<Owner> ownerList() {
        return List.copyOf(owners.values());
    }

    /** Adopts a lock handed over by a predecessor (the descriptor carries the OFD lock). */
    synchronized void adoptLock(Path file, String name, int fd, boolean exclusive, boolean leaseFile, List<UUID> holders) {
        Held h = new Held(file, name, fd, exclusive, leaseFile);
        h.holders.addAll(holders);
        locks.put(file, h);
    }

    /** Adopts an owner handed over by a predecessor, with one open restricted connection or none. */
    synchronized void adoptOwner(OwnerInfo info, boolean withConnection) {
        Owner o = owners.computeIfAbsent(info.uuid(), u -> new Owner(info));
        if (withConnection) {
            o.connections++;
        }
        for (Held h : locks.values()) {
            if (h.holders.contains(info.uuid())) {
                o.files.add(h.file);
            }
        }
    }

    /** After adoption: locks whose holders did not come along are released. */
    synchronized void dropOrphans() {
        for (Held h : List.copyOf(locks.values())) {
            h.holders.removeIf(u -> !owners.containsKey(u));
            if (h.holders.isEmpty()) {
                locks.remove(h.file);
                closeQuietly(h.fd);
            }
        }
    }

    private static Path canonical(Request r) throws LockdException {
        Path p = r.file();
        if (!p.isAbsolute()) {
            throw new LockdException(ErrorCode.INVALID_ARG, "lock file path must be absolute: " + p);
        }
        try {
            return p.toRealPath();
        } catch (NoSuchFileException e) {
            if (r.create()) {
                try {
                    return p.getParent().toRealPath().resolve(p.getFileName());
                } catch (IOException noDir) {
                    throw new LockdException(ErrorCode.SYSTEM_ERROR, "cannot lock " + r.name() + ": no directory "
                            + p.getParent());
                }
            }
            throw new LockdException(ErrorCode.SYSTEM_ERROR, "cannot lock " + r.name() + ": no such file " + p);
        } catch (IOException e) {
            throw new LockdException(ErrorCode.SYSTEM_ERROR, "cannot lock " + r.name() + ": " + e.getMessage());
        }
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static void closeQuietly(int fd) {
        try {
            OfdLock.close(fd);
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    private static String hostName() {
        try {
            return "host " + InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "this host";
        }
    }
}

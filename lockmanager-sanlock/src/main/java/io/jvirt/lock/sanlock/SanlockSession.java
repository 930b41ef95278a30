package io.jvirt.lock.sanlock;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.lock.sanlock.SanlockClient.SanlockIOException;
import io.jvirt.lock.sanlock.SanlockClient.SanlockResultException;
import io.jvirt.spi.lock.AcquireFlag;
import io.jvirt.spi.lock.LockOwner;
import io.jvirt.spi.lock.LockResource;
import io.jvirt.spi.lock.LockSession;

import java.io.FileDescriptor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One domain's (or one device change's) sanlock leases. The owner process registers with the
 * daemon over a connection it made itself (the daemon takes the pid from that connection's peer
 * credentials and frees the leases when the connection closes, i.e. when the process dies);
 * acquire, release and inquire then act for that pid over connections of their own.
 *
 * <p>The state string is sanlock's own: leases separated by spaces, each
 * {@code LOCKSPACE:NAME:PATH:OFFSET:LVER} (exclusive, with the lease version) or
 * {@code LOCKSPACE:NAME:PATH:OFFSET:SH} (shared). Given back to {@link #acquire}, the versions
 * make sanlock refuse a lease that another host took in between.
 */
final class SanlockSession implements LockSession {
    private static final System.Logger LOG = System.getLogger(SanlockSession.class.getName());

    /** One lease to take, and what error messages call it. */
    private record Wanted(Wire.Resource resource, String describe) {
        String key() {
            return resource.lockspace() + ":" + resource.name();
        }
    }

    /** How long a release for an owner that is gone waits for its leases to be free on disk. */
    static final long FREE_WAIT_MS = 5_000;
    private final SanlockLockManager manager;
    private final LockOwner owner;
    private final List<LockResource> resources;

    SanlockSession(SanlockLockManager manager, LockOwner owner, List<LockResource> resources) {
        this.manager = manager;
        this.owner = owner;
        this.resources = resources;
        for (LockResource r : resources) {
            if (r instanceof LockResource.Lease l) {
                checkLease(l);
            }
        }
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
        return List.of(manager.config().socket());
    }

    @Override
    public void acquire(String state, Set<AcquireFlag> flags, List<FileDescriptor> connections) {
        if (flags.contains(AcquireFlag.REGISTER_ONLY)) {
            register(flags.contains(AcquireFlag.RESTRICT), connections);
            return;
        }
        if (!connections.isEmpty()) {
            throw new IllegalArgumentException("connections are only passed with REGISTER_ONLY, got " + connections.size());
        }
        List<Wanted> wanted = wanted();
        if (wanted.isEmpty()) {
            return;
        }
        Map<String, Long> versions = versions(state);
        // leases the owner already holds (a repeated acquire) are kept, not asked for again;
        // this also fails early and clearly when the owner is not registered
        Set<String> already = heldKeys();
        List<Wanted> taken = new ArrayList<>();
        try {
            for (Wanted w : wanted) {
                if (already.contains(w.key())) {
                    continue;
                }
                Wire.Resource r = w.resource;
                Long lver = versions.get(w.key());
                if (lver != null && (r.flags() & Wire.RES_SHARED) == 0) {
                    r = new Wire.Resource(r.lockspace(), r.name(), lver, r.flags() | Wire.RES_LVER, r.disks());
                }
                acquireOne(w, r);
                taken.add(w);
            }
        } catch (RuntimeException e) {
            if (!taken.isEmpty()) {
                try {
                    manager.client().release(owner.pid(), taken.stream().map(Wanted::resource).toList());
                } catch (SanlockIOException | SanlockResultException re) {
                    e.addSuppressed(re);
                    LOG.log(System.Logger.Level.WARNING, "rolling back sanlock leases of {0} failed: {1}",
                            owner.describe(), re.getMessage());
                }
            }
            throw e;
        }
    }

    private void acquireOne(Wanted w, Wire.Resource r) {
        try {
            manager.client().acquire(owner.pid(), List.of(r), owner.name());
        } catch (SanlockResultException e) {
            if (Wire.isBusy(e.result)) {
                throw new VirtException(ErrorCode.RESOURCE_BUSY, "resource busy: " + w.describe + " is locked by "
                        + holder(r, e.result));
            }
            if (e.result == Wire.ACQUIRE_LVER) {
                throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot acquire " + w.describe + " for "
                        + owner.describe() + ": its sanlock lease was taken by another owner since the saved lock state ("
                        + Wire.describe(e.result) + ")");
            }
            if (e.result == Wire.ESRCH || e.result == Wire.ESTALE || e.result == Wire.EBUSY) {
                throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot acquire " + w.describe + ": process "
                        + owner.pid() + " of " + owner.describe() + " is not registered with sanlock (" + Wire.describe(e.result) + ")");
            }
            if (e.result == Wire.ENOSPC) {
                throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot acquire " + w.describe + ": this host has not joined"
                        + " sanlock lockspace " + r.lockspace() + " (" + Wire.describe(e.result) + ")");
            }
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot acquire " + w.describe + " for "
                    + owner.describe() + ": " + e.getMessage(), e);
        } catch (SanlockIOException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot acquire " + w.describe + " for "
                    + owner.describe() + ": " + e.getMessage(), e);
        }
    }

    /** Who holds {@code r}, as well as the daemon can tell. */
    private String holder(Wire.Resource r, int result) {
        if (result == Wire.EEXIST) {
            return "another process on this host";
        }
        try {
            List<Wire.Host> hosts = manager.client().owners(r);
            if (!hosts.isEmpty()) {
                return hosts.stream().map(h -> "host_id " + h.hostId() + " (generation " + h.generation() + ")")
                        .collect(Collectors.joining(", ")) + " in lockspace " + r.lockspace();
            }
        } catch (SanlockIOException | SanlockResultException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot read the owners of {0}: {1}", r.name(), e.getMessage());
        }
        return "another host in lockspace " + r.lockspace() + " (" + Wire.describe(result) + ")";
    }

    /** lockspace:name of every lease the owner holds now. */
    private Set<String> heldKeys() {
        String all;
        try {
            all = manager.client().inquire(owner.pid());
        } catch (SanlockResultException e) {
            if (e.result == Wire.ESRCH) {
                throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot acquire sanlock leases: process "
                        + owner.pid() + " of " + owner.describe() + " is not registered with sanlock (it must"
                        + " register first, from its own connection; or it has exited)");
            }
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot acquire the sanlock leases of "
                    + owner.describe() + ": " + e.getMessage(), e);
        } catch (SanlockIOException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot acquire the sanlock leases of "
                    + owner.describe() + ": " + e.getMessage(), e);
        }
        Set<String> out = new java.util.HashSet<>();
        for (String entry : SanlockState.entries(all)) {
            List<String> f = SanlockState.fields(entry);
            if (f.size() >= 2) {
                out.add(f.get(0) + ":" + f.get(1));
            }
        }
        return out;
    }

    private void register(boolean restrict, List<FileDescriptor> connections) {
        if (connections.size() != 1) {
            throw new IllegalArgumentException("sanlock registration needs exactly one connection to "
                    + manager.config().socket() + ", got " + connections.size());
        }
        // join first: a host that cannot join must not start the guest at all
        manager.ensureLockspace();
        FileDescriptor fd = connections.getFirst();
        SanlockClient client = manager.client();
        try {
            client.register(fd);
            if (restrict) {
                // the answer, on the same connection, also proves the registration was processed
                client.restrict(fd, Wire.RESTRICT_ALL);
            }
            // the daemon registered whoever connected: make sure that is the owner
            long deadline = System.nanoTime() + 1_000_000_000L;
            while (true) {
                try {
                    client.inquire(owner.pid());
                    return;
                } catch (SanlockResultException e) {
                    if (e.result != Wire.ESRCH || System.nanoTime() - deadline > 0) {
                        throw new VirtException(ErrorCode.OPERATION_FAILED, "sanlock did not register process "
                                + owner.pid() + " of " + owner.describe() + " (was the connection made by that process?): "
                                + Wire.describe(e.result));
                    }
                    Thread.sleep(20);
                }
            }
        } catch (SanlockIOException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot register " + owner.describe()
                    + " with sanlock: " + e.getMessage(), e);
        } catch (SanlockResultException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot register " + owner.describe()
                    + " with sanlock: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VirtException(ErrorCode.OPERATION_ABORTED, "interrupted while registering with sanlock");
        }
    }

    @Override
    public String release() {
        List<String> held = held("release");
        if (held == null) {
            awaitFreedOnDisk();
            return "";
        }
        if (held.isEmpty()) {
            return "";
        }
        List<Wire.Resource> rel = new ArrayList<>();
        for (String entry : held) {
            List<String> f = SanlockState.fields(entry);
            rel.add(new Wire.Resource(f.get(0), f.get(1), 0, 0, List.of()));
        }
        try {
            for (int i = 0; i < rel.size(); i += 8) {
                manager.client().release(owner.pid(), rel.subList(i, Math.min(rel.size(), i + 8)));
            }
        } catch (SanlockResultException e) {
            if (e.result != Wire.ESRCH) {
                throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot release the sanlock leases of "
                        + owner.describe() + ": " + e.getMessage(), e);
            }
        } catch (SanlockIOException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot release the sanlock leases of "
                    + owner.describe() + ": " + e.getMessage(), e);
        }
        return String.join(" ", held);
    }

    @Override
    public String inquire() {
        List<String> held = held("inquire");
        return held == null ? "" : String.join(" ", held);
    }

    /**
     * The owner is gone (the daemon no longer knows its pid), so the daemon frees its leases — but
     * it writes that to the lease areas after it noticed the death, in the background: right after
     * the process died, another host could still find a lease held by this host and be refused.
     * Waits, bounded by {@link #FREE_WAIT_MS}, until no exclusive lease of this session in jvirt's
     * lockspace names this host's id on disk, so the caller (a driver stopping the domain) returns
     * with the disks free. Errors only shorten the wait: the leases end anyway.
     */
    private void awaitFreedOnDisk() {
        List<Wire.Resource> mine = new ArrayList<>();
        for (LockResource r : resources) {
            switch (r) {
                case LockResource.Disk d when manager.config().autoDiskLeases() && d.mode() == LockResource.DiskMode.EXCLUSIVE -> {
                    String name = SanlockLockManager.leaseName(d.path());
                    Path file = manager.config().diskLeaseDir().resolve(name);
                    if (java.nio.file.Files.exists(file)) {
                        mine.add(new Wire.Resource(SanlockConfig.DISK_LOCKSPACE, name, 0, 0, List.of(new Wire.Disk(file.toString(), 0))));
                    }
                }
                case LockResource.Lease l when l.lockspace().equals(SanlockConfig.DISK_LOCKSPACE) ->
                        mine.add(new Wire.Resource(l.lockspace(), l.key(), 0, 0, List.of(new Wire.Disk(l.path(), l.offset()))));
                default -> {
                }
            }
        }
        long hostId = manager.config().hostId();
        if (mine.isEmpty() || hostId <= 0) {
            return;
        }
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(FREE_WAIT_MS);
        try {
            for (Wire.Resource r : mine) {
                while (manager.client().owners(r).stream().anyMatch(h -> h.hostId() == hostId)) {
                    if (System.nanoTime() - deadline > 0) {
                        LOG.log(System.Logger.Level.WARNING, "sanlock lease {0} of {1} still names host_id {2} {3} ms after"
                                + " its owner exited", r.name(), owner.describe(), hostId, FREE_WAIT_MS);
                        return;
                    }
                    Thread.sleep(10);
                }
            }
        } catch (SanlockIOException | SanlockResultException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot read sanlock lease owners of {0}: {1}", owner.describe(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** This session's leases currently held for the owner, as sanlock's state entries; null if the owner is gone. */
    private List<String> held(String what) {
        String all;
        try {
            all = manager.client().inquire(owner.pid());
        } catch (SanlockResultException e) {
            if (e.result == Wire.ESRCH) {
                return null; // the owner is gone: the daemon frees its leases
            }
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot " + what + " the sanlock leases of "
                    + owner.describe() + ": " + e.getMessage(), e);
        } catch (SanlockIOException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot " + what + " the sanlock leases of "
                    + owner.describe() + ": " + e.getMessage(), e);
        }
        Set<String> mine = keys();
        List<String> out = new ArrayList<>();
        for (String entry : SanlockState.entries(all)) {
            List<String> f = SanlockState.fields(entry);
            if (f.size() >= 2 && mine.contains(f.get(0) + ":" + f.get(1))) {
                out.add(entry);
            }
        }
        return out;
    }

    /** lockspace:name keys of this session's leases, without touching storage. */
    private Set<String> keys() {
        Set<String> out = new java.util.HashSet<>();
        for (LockResource r : resources) {
            switch (r) {
                case LockResource.Disk d when manager.config().autoDiskLeases() && d.mode() != LockResource.DiskMode.READONLY ->
                        out.add(SanlockConfig.DISK_LOCKSPACE + ":" + SanlockLockManager.leaseName(d.path()));
                case LockResource.Lease l -> out.add(l.lockspace() + ":" + l.key());
                default -> {
                }
            }
        }
        return out;
    }

    /** The leases to take, disk leases created if missing. */
    private List<Wanted> wanted() {
        Map<String, Wanted> out = new LinkedHashMap<>();
        boolean exclusiveDisk = false;
        boolean joined = false;
        for (LockResource r : resources) {
            switch (r) {
                case LockResource.Disk d -> {
                    if (d.mode() == LockResource.DiskMode.READONLY) {
                        continue; // read-only disks take no lease
                    }
                    exclusiveDisk |= d.mode() == LockResource.DiskMode.EXCLUSIVE;
                    if (!manager.config().autoDiskLeases()) {
                        continue;
                    }
                    if (!joined) {
                        manager.ensureLockspace();
                        joined = true;
                    }
                    Wanted w = new Wanted(manager.diskLease(d.path(), d.mode() == LockResource.DiskMode.SHARED), d.path());
                    out.putIfAbsent(w.key(), w);
                }
                case LockResource.Lease l -> {
                    Wanted w = new Wanted(new Wire.Resource(l.lockspace(), l.key(), 0, 0,
                            List.of(new Wire.Disk(l.path(), l.offset()))), l.describe());
                    out.putIfAbsent(w.key(), w);
                }
            }
        }
        if (out.isEmpty() && exclusiveDisk && manager.config().requireLeaseForDisks()) {
            throw new VirtException(ErrorCode.OPERATION_INVALID, owner.describe() + " has writable disks but no"
                    + " sanlock lease (require_lease_for_disks = 1): add <lease> elements or set auto_disk_leases = 1");
        }
        return List.copyOf(out.values());
    }

    private static void checkLease(LockResource.Lease l) {
        try {
            Wire.checkName(l.lockspace(), "lease lockspace");
            Wire.checkName(l.key(), "lease key");
            if (l.path() == null) {
                throw new IllegalArgumentException("sanlock needs <target path='...'/> for " + l.describe());
            }
            Wire.checkPath(l.path(), "lease target path");
        } catch (IllegalArgumentException e) {
            throw new VirtException(ErrorCode.INVALID_ARG, e.getMessage() + " (" + l.describe() + ")");
        }
    }

    /** lockspace:name → lease version, from a state string (shared entries have none). */
    private static Map<String, Long> versions(String state) {
        Map<String, Long> out = new LinkedHashMap<>();
        if (state == null || state.isBlank()) {
            return out;
        }
        for (String entry : SanlockState.entries(state)) {
            List<String> f = SanlockState.fields(entry);
            if (f.size() < 5) {
                throw new VirtException(ErrorCode.INVALID_ARG, "bad sanlock lock state entry '" + entry
                        + "': expected LOCKSPACE:NAME:PATH:OFFSET:LVER");
            }
            String last = f.getLast();
            if (last.equals("SH")) {
                continue;
            }
            try {
                out.put(f.get(0) + ":" + f.get(1), Long.parseUnsignedLong(last));
            } catch (NumberFormatException e) {
                throw new VirtException(ErrorCode.INVALID_ARG, "bad sanlock lock state entry '" + entry
                        + "': lease version '" + last + "' is not a number");
            }
        }
        return out;
    }

    @Override
    public void close() {
        // no client-side state: the owner's leases live until released or until it dies
    }
}

package io.jvirt.spi;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * A driver's domains, looked up by UUID, name or id in O(1). Adds and removes are serialised
 * among themselves (so name/UUID uniqueness holds); lookups never wait for them.
 */
public final class DomainObjList {
    private final Map<UUID, DomainObj> byUuid = new ConcurrentHashMap<>();
    private final Map<String, DomainObj> byName = new ConcurrentHashMap<>();
    private final Map<Integer, DomainObj> byId = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();

    /**
     * Adds a new domain, or returns the existing one with the same name and UUID.
     * Uniqueness follows libvirt: the same name with another UUID, or the same UUID with another
     * name, is refused with {@code DOMAIN_EXISTS}.
     *
     * @param def        the definition
     * @param persistent whether a new domain is persistent
     * @return the existing domain (the caller updates it under its lock and job), or a new one
     */
    public AddResult addOrGet(DomainDef def, boolean persistent) {
        return addOrGet(def, persistent, null);
    }

    /**
     * As {@link #addOrGet(DomainDef, boolean)}, but a new domain is completed by {@code initializer}
     * (private data, job settings, state: it may take the new domain's lock) before any other thread
     * can find it, so that no lookup ever sees a half-built domain. The initializer runs while adds
     * and removes are held off; it must be quick and must not wait for anything.
     *
     * @param initializer completes a new domain; null for none
     */
    public AddResult addOrGet(DomainDef def, boolean persistent, java.util.function.Consumer<DomainObj> initializer) {
        synchronized (writeLock) {
            DomainObj sameUuid = byUuid.get(def.uuid());
            if (sameUuid != null) {
                if (!sameUuid.name().equals(def.name())) {
                    throw new VirtException(ErrorCode.DOMAIN_EXISTS, "domain '" + sameUuid.name()
                            + "' already exists with uuid " + def.uuid());
                }
                return new AddResult(sameUuid, false);
            }
            DomainObj sameName = byName.get(def.name());
            if (sameName != null) {
                throw new VirtException(ErrorCode.DOMAIN_EXISTS, "domain '" + def.name()
                        + "' already exists with uuid " + sameName.uuid());
            }
            DomainObj obj = new DomainObj(def, persistent);
            if (initializer != null) {
                initializer.accept(obj);
            }
            byUuid.put(obj.uuid(), obj);
            byName.put(obj.name(), obj);
            return new AddResult(obj, true);
        }
    }

    /**
     * The outcome of {@link #addOrGet}.
     *
     * @param domain the domain object
     * @param added  whether it is new
     */
    public record AddResult(DomainObj domain, boolean added) {
    }

    /**
     * Removes {@code obj} and marks it removed, so that threads waiting on it give up.
     * The caller holds the domain's lock.
     */
    public void remove(DomainObj obj) {
        synchronized (writeLock) {
            obj.markRemoved();
            byUuid.remove(obj.uuid(), obj);
            byName.remove(obj.name(), obj);
            if (obj.id() >= 0) {
                byId.remove(obj.id(), obj);
            }
        }
    }

    /** Records that {@code obj} now runs with {@code id} (or stopped, with -1). Call under obj's lock. */
    public void setId(DomainObj obj, int id) {
        synchronized (writeLock) {
            if (obj.id() >= 0) {
                byId.remove(obj.id(), obj);
            }
            obj.setId(id);
            if (id >= 0 && !obj.isRemoved()) {
                byId.put(id, obj);
            }
        }
    }

    /** @throws VirtException {@code NO_DOMAIN} */
    public DomainObj byUuid(UUID uuid) {
        DomainObj obj = byUuid.get(uuid);
        if (obj == null) {
            throw new VirtException(ErrorCode.NO_DOMAIN, "Domain not found: no domain with matching uuid '" + uuid + "'");
        }
        return obj;
    }

    /** @throws VirtException {@code NO_DOMAIN} */
    public DomainObj byName(String name) {
        DomainObj obj = byName.get(name);
        if (obj == null) {
            throw new VirtException(ErrorCode.NO_DOMAIN, "Domain not found: no domain with matching name '" + name + "'");
        }
        return obj;
    }

    /** @throws VirtException {@code NO_DOMAIN} */
    public DomainObj byId(int id) {
        DomainObj obj = byId.get(id);
        if (obj == null) {
            throw new VirtException(ErrorCode.NO_DOMAIN, "Domain not found: no domain with matching id " + id);
        }
        return obj;
    }

    /** The domain with that UUID, or null. */
    public DomainObj findByUuid(UUID uuid) {
        return byUuid.get(uuid);
    }

    /** A snapshot of the domains matching {@code filter}. */
    public List<DomainObj> list(Predicate<DomainObj> filter) {
        List<DomainObj> out = new ArrayList<>();
        for (DomainObj obj : byUuid.values()) {
            if (filter.test(obj)) {
                out.add(obj);
            }
        }
        return out;
    }

    /** How many domains there are. */
    public int size() {
        return byUuid.size();
    }
}

package io.jvirt.spi.internal;

import io.jvirt.api.Domain;
import io.jvirt.api.DomainSnapshot;
import io.jvirt.spi.SnapshotData;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot handle: (domain, name). Every call asks the driver for the snapshot's current
 * {@link SnapshotData}, so parent, children and "current" are never stale.
 */
final class SpiSnapshot implements DomainSnapshot {
    private final SpiDomain domain;
    private final String name;

    SpiSnapshot(SpiDomain domain, String name) {
        this.domain = Objects.requireNonNull(domain, "domain");
        this.name = Objects.requireNonNull(name, "name");
    }

    private SnapshotData data() {
        return domain.connection().unwrap(SpiConnection.class).driver().snapshot(domain.obj(), name);
    }

    private List<SnapshotData> all() {
        return domain.connection().unwrap(SpiConnection.class).driver().listSnapshots(domain.obj());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Domain domain() {
        return domain;
    }

    @Override
    public String xml() {
        return data().xml();
    }

    @Override
    public Optional<DomainSnapshot> parent() {
        String parent = data().parent();
        return parent == null ? Optional.empty() : Optional.of(new SpiSnapshot(domain, parent));
    }

    @Override
    public List<DomainSnapshot> children() {
        return all().stream()
                .filter(s -> name.equals(s.parent()))
                .map(s -> (DomainSnapshot) new SpiSnapshot(domain, s.name()))
                .toList();
    }

    @Override
    public boolean isCurrent() {
        return data().current();
    }

    @Override
    public void revert() {
        domain.connection().unwrap(SpiConnection.class).driver().revertSnapshot(domain.obj(), name);
    }

    @Override
    public void delete() {
        domain.connection().unwrap(SpiConnection.class).driver().deleteSnapshot(domain.obj(), name);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpiSnapshot s && s.domain.equals(domain) && s.name.equals(name);
    }

    @Override
    public int hashCode() {
        return domain.hashCode() * 31 + name.hashCode();
    }

    @Override
    public String toString() {
        return "DomainSnapshot[" + domain.name() + "/" + name + "]";
    }
}

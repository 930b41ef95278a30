package io.jvirt.api;

import java.util.List;
import java.util.Optional;

/** A snapshot of a domain, as libvirt's {@code virDomainSnapshot}. */
public interface DomainSnapshot {
    /** The snapshot's name. */
    String name();

    /** The domain it belongs to. */
    Domain domain();

    /** The snapshot's XML description. */
    String xml();

    /** The parent snapshot, if any. */
    Optional<DomainSnapshot> parent();

    /** Direct children. */
    List<DomainSnapshot> children();

    /** Whether this is the domain's current snapshot. */
    boolean isCurrent();

    /** Reverts the domain to this snapshot. */
    void revert();

    /** Deletes this snapshot (children are re-parented). */
    void delete();
}

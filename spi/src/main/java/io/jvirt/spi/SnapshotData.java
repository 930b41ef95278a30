package io.jvirt.spi;

/**
 * A driver's description of one snapshot, from which the framework builds
 * {@link io.jvirt.api.DomainSnapshot} handles.
 *
 * @param name    the snapshot's name
 * @param parent  the parent's name, or null
 * @param current whether it is the domain's current snapshot
 * @param xml     its {@code <domainsnapshot>} description
 */
public record SnapshotData(String name, String parent, boolean current, String xml) {
}

package io.jvirt.api;

/**
 * What {@code virsh dominfo} shows about a domain's resources.
 *
 * @param state        current state
 * @param maxMemoryKiB the most memory the domain may have, in KiB
 * @param memoryKiB    current memory, in KiB
 * @param vcpus        number of virtual CPUs
 * @param cpuTimeNanos CPU time used, in nanoseconds (0 when inactive)
 */
public record DomainInfo(DomainState state, long maxMemoryKiB, long memoryKiB, int vcpus, long cpuTimeNanos) {
}

package io.jvirt.api;

import java.util.List;
import java.util.Set;

/**
 * What a connection's hypervisor offers, as {@code virsh capabilities} shows it.
 *
 * @param host     the host machine
 * @param guests   the guest kinds this hypervisor can run
 * @param features the optional features the driver claims
 * @param notes    free-form facts worth telling an operator (e.g. "kvm: nested kvm_pvm, use TCG",
 *                 "backend: emulated")
 */
public record Capabilities(Host host, List<Guest> guests, Set<Feature> features, List<String> notes) {
    public Capabilities {
        guests = List.copyOf(guests);
        features = Set.copyOf(features);
        notes = List.copyOf(notes);
    }

    /** Whether the driver claims {@code feature}. */
    public boolean has(Feature feature) {
        return features.contains(feature);
    }

    /**
     * The host.
     *
     * @param arch      CPU architecture ({@code x86_64})
     * @param cpus      logical CPUs
     * @param memoryKiB memory in KiB
     * @param uuid      host UUID, if known (may be empty)
     */
    public record Host(String arch, int cpus, long memoryKiB, String uuid) {
    }

    /**
     * One kind of guest.
     *
     * @param osType      {@code hvm}, {@code exe}, …
     * @param arch        guest architecture
     * @param emulator    emulator binary path, if any (may be empty)
     * @param machines    machine types
     * @param domainTypes domain types usable ({@code qemu}, {@code kvm}, {@code test}, {@code vz})
     */
    public record Guest(String osType, String arch, String emulator, List<String> machines, List<String> domainTypes) {
        public Guest {
            machines = List.copyOf(machines);
            domainTypes = List.copyOf(domainTypes);
        }
    }
}

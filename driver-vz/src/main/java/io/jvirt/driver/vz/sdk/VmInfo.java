package io.jvirt.driver.vz.sdk;

import io.jvirt.api.xml.DomainDef;

import java.util.Map;
import java.util.UUID;

/**
 * What the SDK says about one VM at one moment: an immutable copy, safe to keep in a cache.
 *
 * @param uuid        the VM's UUID
 * @param config      its stored configuration, used at the next start (the port speaks jvirt's
 *                    definition records; a native binding converts the SDK's own configuration to
 *                    and from them)
 * @param liveConfig  the configuration the running VM runs with (a commit while it runs changes
 *                    only {@code config}; hot-plug and memory changes change both), or null when stopped
 * @param state       its state
 * @param runId       the running id, or -1 when stopped
 * @param autostart   whether it starts with the host
 * @param transientVm whether the host forgets it when it stops
 * @param managedSave whether a managed-save image exists
 * @param netIndex    network adapters' stack indexes by MAC address; statistics are keyed by index
 * @param lastReason  why the VM last changed state ({@code "booted"}, {@code "destroyed"}, …)
 * @param version     grows with every change of the VM on the host, so that a reader can tell which
 *                    of two copies is newer
 */
public record VmInfo(UUID uuid, DomainDef config, DomainDef liveConfig, VmState state, int runId, boolean autostart,
                     boolean transientVm, boolean managedSave, Map<String, Integer> netIndex, String lastReason,
                     long version) {
    public VmInfo {
        netIndex = Map.copyOf(netIndex);
    }

    /** The VM's name. */
    public String name() {
        return config.name();
    }
}

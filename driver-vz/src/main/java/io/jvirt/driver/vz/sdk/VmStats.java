package io.jvirt.driver.vz.sdk;

import io.jvirt.api.BlockStats;
import io.jvirt.api.InterfaceStats;

import java.time.Instant;
import java.util.Map;

/**
 * Performance counters the SDK pushes for a running VM.
 *
 * @param at        when they were sampled
 * @param cpuNanos  CPU time used
 * @param memory    memory statistics by libvirt's names ({@code actual}, {@code rss}, {@code available}), KiB
 * @param disks     disk counters by target device name ({@code sda})
 * @param nets      interface counters by the adapter's stack index (not by name: the SDK keys them so)
 */
public record VmStats(Instant at, long cpuNanos, Map<String, Long> memory, Map<String, BlockStats> disks,
                      Map<Integer, InterfaceStats> nets) {
    public VmStats {
        memory = Map.copyOf(memory);
        disks = Map.copyOf(disks);
        nets = Map.copyOf(nets);
    }
}

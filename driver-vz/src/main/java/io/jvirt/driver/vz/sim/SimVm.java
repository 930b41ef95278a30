package io.jvirt.driver.vz.sim;

import io.jvirt.api.BlockStats;
import io.jvirt.api.InterfaceStats;
import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.vz.sdk.SnapshotInfo;
import io.jvirt.driver.vz.sdk.VmInfo;
import io.jvirt.driver.vz.sdk.VmState;
import io.jvirt.driver.vz.sdk.VmStats;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** One emulated VM. Guarded by its {@link SimHost}'s monitor. */
final class SimVm {
    final UUID uuid;
    DomainDef config;
    /** The running configuration, or null when stopped. */
    DomainDef live;
    VmState state = VmState.STOPPED;
    int runId = -1;
    boolean autostart;
    boolean transientVm;
    boolean managedSave;
    boolean editOpen;
    String lastReason = "unknown";
    final Map<String, Integer> netIndex = new LinkedHashMap<>();
    int nextNetIndex;
    final LinkedHashMap<String, SnapshotInfo> snapshots = new LinkedHashMap<>();
    String currentSnapshot;
    long startedNanos;
    long version;

    SimVm(DomainDef config) {
        this.uuid = config.uuid();
        this.config = config;
        reindexNets();
    }

    /** Gives new network adapters the next stack index and forgets removed ones. */
    void reindexNets() {
        Set<String> macs = new HashSet<>();
        for (Device.Interface nic : config.devices(Device.Interface.class)) {
            String mac = nic.mac() == null ? "" : nic.mac().toLowerCase(java.util.Locale.ROOT);
            macs.add(mac);
            if (!netIndex.containsKey(mac)) {
                netIndex.put(mac, nextNetIndex++);
            }
        }
        netIndex.keySet().retainAll(macs);
    }

    VmInfo info() {
        return new VmInfo(uuid, config, state.isActive() ? (live != null ? live : config) : null, state, runId, autostart, transientVm, managedSave, netIndex, lastReason, version);
    }

    List<SnapshotInfo> snapshotList() {
        List<SnapshotInfo> out = new ArrayList<>();
        for (SnapshotInfo s : snapshots.values()) {
            out.add(new SnapshotInfo(s.name(), s.parent(), s.description(), s.created(), s.vmState(), s.config(),
                    s.name().equals(currentSnapshot)));
        }
        return out;
    }

    void setState(VmState newState, String reason, int newRunId) {
        if (!state.isActive() && newState.isActive()) {
            startedNanos = System.nanoTime();
            live = config;
        }
        if (!newState.isActive()) {
            live = null;
        }
        state = newState;
        lastReason = reason;
        runId = newState.isActive() ? (runId >= 0 ? runId : newRunId) : -1;
    }

    /** Synthetic counters that grow with time since start. */
    VmStats stats() {
        double secs = state.isActive() ? (System.nanoTime() - startedNanos) / 1e9 : 0;
        long ticks = (long) (secs * 10);
        Map<String, Long> mem = new HashMap<>();
        mem.put("actual", config.currentMemoryKiB());
        mem.put("available", config.memoryKiB());
        mem.put("rss", config.currentMemoryKiB() / 2);
        mem.put("unused", config.currentMemoryKiB() / 4);
        Map<String, BlockStats> disks = new HashMap<>();
        for (Device.Disk d : config.disks()) {
            disks.put(d.targetDev(), new BlockStats(ticks * 3, ticks * 3 * 4096, ticks, ticks * 4096, 0));
        }
        Map<Integer, InterfaceStats> nets = new HashMap<>();
        for (int index : netIndex.values()) {
            nets.put(index, new InterfaceStats(ticks * 1500, ticks, 0, 0, ticks * 700, ticks / 2 + ticks % 2, 0, 0));
        }
        return new VmStats(Instant.now(), (long) (secs * config.vcpus() * 2e8), mem, disks, nets);
    }
}

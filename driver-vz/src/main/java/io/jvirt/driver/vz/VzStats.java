package io.jvirt.driver.vz;

import io.jvirt.api.BlockStats;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.InterfaceStats;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.Device;
import io.jvirt.driver.vz.cache.VmPrivate;
import io.jvirt.driver.vz.cache.VzCache;
import io.jvirt.driver.vz.sdk.VmStats;
import io.jvirt.spi.DomainObj;

import java.util.Locale;
import java.util.Map;

/**
 * Statistics of vz domains, group 1: read from the stats cache that the SDK's pushed counters fill,
 * never from the SDK. An interface's SDK stack index comes from the cache too.
 */
final class VzStats {
    private VzStats() {
    }

    static BlockStats block(DomainObj dom, String disk) {
        try (var l = dom.locked()) {
            dom.requireActive();
            Device.Disk d = dom.def().disks().stream()
                    .filter(x -> x.targetDev().equals(disk) || disk.equals(x.source())).findFirst()
                    .orElseThrow(() -> new VirtException(ErrorCode.INVALID_ARG, "domain '" + dom.name()
                            + "' has no disk '" + disk + "'"));
            VmStats s = VzCache.priv(dom).stats;
            BlockStats b = s == null ? null : s.disks().get(d.targetDev());
            return b != null ? b : new BlockStats(0, 0, 0, 0, 0);
        }
    }

    static InterfaceStats iface(DomainObj dom, String device) {
        try (var l = dom.locked()) {
            dom.requireActive();
            Device.Interface nic = dom.def().devices(Device.Interface.class).stream()
                    .filter(x -> device.equals(x.target()) || device.equalsIgnoreCase(x.mac()) || device.equals(x.alias()))
                    .findFirst()
                    .orElseThrow(() -> new VirtException(ErrorCode.INVALID_ARG, "domain '" + dom.name()
                            + "' has no interface '" + device + "'"));
            VmPrivate p = VzCache.priv(dom);
            Integer index = nic.mac() == null ? null : p.netIndex.get(nic.mac().toLowerCase(Locale.ROOT));
            if (index == null) {
                throw new VirtException(ErrorCode.OPERATION_FAILED, "interface '" + device + "' of domain '" + dom.name()
                        + "' has no SDK index yet (its configuration is being changed); try again");
            }
            InterfaceStats n = p.stats == null ? null : p.stats.nets().get(index);
            return n != null ? n : new InterfaceStats(0, 0, 0, 0, 0, 0, 0, 0);
        }
    }

    static Map<String, Long> memory(DomainObj dom) {
        try (var l = dom.locked()) {
            dom.requireActive();
            VmStats s = VzCache.priv(dom).stats;
            if (s == null) {
                return Map.of("actual", dom.def().currentMemoryKiB());
            }
            return s.memory();
        }
    }
}

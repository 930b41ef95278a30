package io.jvirt.driver.vz;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import io.jvirt.driver.vz.job.SdkCalls;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.job.JobKind;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** Device and memory changes of vz domains: all group 2 (the shared handle, a normal job). */
final class VzDevices {
    private final SdkCalls calls;

    VzDevices(SdkCalls calls) {
        this.calls = calls;
    }

    void attach(DomainObj dom, String xml) {
        Device device = supported(DomainXml.parseDevice(xml));
        calls.group2(dom, JobKind.MODIFY, "attachDevice", d -> {
            if (find(d.def(), device) >= 0) {
                throw new VirtException(ErrorCode.OPERATION_INVALID, "Requested operation is not valid: domain '"
                        + d.name() + "' already has " + describe(device));
            }
        }, h -> h.attach(device), false);
    }

    void detach(DomainObj dom, String xml) {
        Device device = DomainXml.parseDevice(xml);
        calls.group2(dom, JobKind.MODIFY, "detachDevice", d -> {
            if (find(d.def(), device) < 0) {
                throw new VirtException(ErrorCode.DEVICE_MISSING, "domain '" + d.name() + "' has no matching "
                        + describe(device));
            }
        }, h -> h.detach(device), false);
    }

    /** Replaces a device in place (a CD-ROM's media, an adapter's model) through begin-edit/commit. */
    void update(DomainObj dom, String xml) {
        Device device = supported(DomainXml.parseDevice(xml));
        calls.group2(dom, JobKind.MODIFY, "updateDevice", d -> {
            if (find(d.def(), device) < 0) {
                throw new VirtException(ErrorCode.DEVICE_MISSING, "domain '" + d.name() + "' has no matching "
                        + describe(device));
            }
        }, h -> {
            calls.await(dom, h.beginEdit());
            DomainDef current = calls.await(dom, h.refresh()).config();
            int i = find(current, device);
            if (i < 0) {
                throw new VirtException(ErrorCode.DEVICE_MISSING, "domain '" + dom.name() + "' has no matching "
                        + describe(device));
            }
            List<Device> list = new ArrayList<>(current.devices());
            list.set(i, device);
            return h.commit(current.withDevices(list));
        }, false);
    }

    void setMemory(DomainObj dom, long kib) {
        if (kib <= 0) {
            throw new VirtException(ErrorCode.INVALID_ARG, "setMemory: memory must be > 0 KiB, was " + kib);
        }
        calls.group2(dom, JobKind.MODIFY, "setMemory", d -> {
            if (kib > d.def().memoryKiB()) {
                throw new VirtException(ErrorCode.INVALID_ARG, "setMemory: " + kib + " KiB exceeds the maximum "
                        + d.def().memoryKiB() + " KiB of domain '" + d.name() + "'");
            }
        }, h -> h.setMemory(kib), false);
    }

    private static Device supported(Device d) {
        if (d instanceof Device.Disk || d instanceof Device.Interface) {
            return d;
        }
        throw new VirtException(ErrorCode.CONFIG_UNSUPPORTED, "vz: hotplug of " + describe(d)
                + " is not supported (disks and interfaces only)");
    }

    /** The index of the device matching {@code d} in {@code def}, or -1. */
    static int find(DomainDef def, Device d) {
        List<Device> list = def.devices();
        for (int i = 0; i < list.size(); i++) {
            Device x = list.get(i);
            if (x instanceof Device.Disk a && d instanceof Device.Disk b && a.targetDev().equals(b.targetDev())) {
                return i;
            }
            if (x instanceof Device.Interface a && d instanceof Device.Interface b
                    && (b.mac() != null ? b.mac().equalsIgnoreCase(a.mac()) : Objects.equals(a.source(), b.source()))) {
                return i;
            }
        }
        return -1;
    }

    static String describe(Device d) {
        if (d instanceof Device.Disk disk) {
            return "disk " + disk.targetDev();
        }
        if (d instanceof Device.Interface nic) {
            return "interface " + (nic.mac() != null ? nic.mac() : nic.source());
        }
        return d.getClass().getSimpleName().toLowerCase(Locale.ROOT) + " device";
    }
}

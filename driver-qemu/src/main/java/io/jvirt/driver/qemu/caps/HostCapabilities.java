package io.jvirt.driver.qemu.caps;

import io.jvirt.api.Capabilities;
import io.jvirt.api.Feature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Builds the public {@link Capabilities} of the QEMU driver from the probed binary and the host.
 */
public final class HostCapabilities {
    private HostCapabilities() {
    }

    /**
     * @param caps     the default binary's capabilities
     * @param kvm      the host's KVM status
     * @param features the features the driver claims
     */
    public static Capabilities build(QemuCaps caps, KvmStatus kvm, Set<Feature> features) {
        List<String> domainTypes = new ArrayList<>(List.of("qemu"));
        if (kvm.usable() && caps.kvmPresent()) {
            domainTypes.add("kvm");
        }
        List<String> notes = new ArrayList<>();
        notes.add("qemu: " + caps.binary() + " version " + caps.versionString()
                + (caps.versionPackage().isEmpty() ? "" : " (" + caps.versionPackage() + ")"));
        if (kvm.nestedPvm()) {
            notes.add(KvmStatus.NESTED_PVM_NOTE);
        }
        String reason = kvm.unusableReason();
        if (reason != null) {
            notes.add("kvm: " + reason);
        }
        Capabilities.Host host = new Capabilities.Host(System.getProperty("os.arch").equals("amd64") ? "x86_64"
                : System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(), memoryKiB(), hostUuid());
        Capabilities.Guest guest = new Capabilities.Guest("hvm", "x86_64", caps.binary(), caps.machines(), domainTypes);
        return new Capabilities(host, List.of(guest), features, notes);
    }

    static long memoryKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return 0;
    }

    static String hostUuid() {
        for (String p : List.of("/sys/class/dmi/id/product_uuid", "/etc/machine-id")) {
            try {
                String s = Files.readString(Path.of(p)).strip();
                if (!s.isEmpty()) {
                    return s;
                }
            } catch (IOException e) {
                // try the next
            }
        }
        return "";
    }
}

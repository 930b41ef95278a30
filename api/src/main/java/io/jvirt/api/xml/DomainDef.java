package io.jvirt.api.xml;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A domain definition: the documented subset of libvirt's domain XML ({@code <domain>}) that jvirt
 * reads and writes. Read and written by {@link DomainXml}. Immutable; the {@code with…} methods
 * return changed copies.
 *
 * <p>Optional text fields are {@code null} when absent. Memory is always in KiB (units in the
 * document are normalised when read).
 *
 * @param type             the hypervisor type attribute ({@code qemu}, {@code kvm}, {@code test}, {@code vz})
 * @param name             the domain's name (validated: no '/', no leading '.', at most 200 characters)
 * @param uuid             the domain's UUID (generated when the document has none)
 * @param title            short title, or null
 * @param description      description, or null
 * @param memoryKiB        maximum memory ({@code <memory>})
 * @param currentMemoryKiB current memory ({@code <currentMemory>}; equals memoryKiB when absent)
 * @param vcpus            virtual CPUs ({@code <vcpu>})
 * @param os               the {@code <os>} element
 * @param features         enabled {@code <features>} by element name ({@code acpi}, {@code apic}, {@code pae},
 *                         {@code hap}, {@code privnet}), in document order
 * @param cpu              the {@code <cpu>} element, or null
 * @param clock            the {@code <clock>} element, or null
 * @param onPoweroff       {@code <on_poweroff>} ({@code destroy} by default)
 * @param onReboot         {@code <on_reboot>} ({@code restart} by default)
 * @param onCrash          {@code <on_crash>} ({@code destroy} by default)
 * @param emulator         {@code <devices><emulator>}, or null for the driver's default
 * @param devices          the other {@code <devices>} children, in document order
 */
public record DomainDef(String type, String name, UUID uuid, String title, String description,
                        long memoryKiB, long currentMemoryKiB, int vcpus,
                        OsDef os, List<String> features, CpuDef cpu, ClockDef clock,
                        String onPoweroff, String onReboot, String onCrash,
                        String emulator, List<Device> devices) {
    public DomainDef {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(os, "os");
        features = List.copyOf(features);
        devices = List.copyOf(devices);
    }

    /** The devices of one kind, in document order. */
    public <T extends Device> List<T> devices(Class<T> kind) {
        return devices.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    /** The disks, in document order. */
    public List<Device.Disk> disks() {
        return devices(Device.Disk.class);
    }

    public DomainDef withName(String newName) {
        return new DomainDef(type, newName, uuid, title, description, memoryKiB, currentMemoryKiB, vcpus, os,
                features, cpu, clock, onPoweroff, onReboot, onCrash, emulator, devices);
    }

    public DomainDef withUuid(UUID newUuid) {
        return new DomainDef(type, name, newUuid, title, description, memoryKiB, currentMemoryKiB, vcpus, os,
                features, cpu, clock, onPoweroff, onReboot, onCrash, emulator, devices);
    }

    public DomainDef withCurrentMemoryKiB(long kib) {
        return new DomainDef(type, name, uuid, title, description, memoryKiB, kib, vcpus, os,
                features, cpu, clock, onPoweroff, onReboot, onCrash, emulator, devices);
    }

    public DomainDef withDevices(List<Device> newDevices) {
        return new DomainDef(type, name, uuid, title, description, memoryKiB, currentMemoryKiB, vcpus, os,
                features, cpu, clock, onPoweroff, onReboot, onCrash, emulator, newDevices);
    }

    /**
     * The {@code <os>} element.
     *
     * @param type    {@code hvm} (or {@code exe} for containers)
     * @param arch    {@code x86_64}, or null
     * @param machine machine type ({@code pc}, {@code q35}, {@code pc-i440fx-7.2}), or null
     * @param kernel  direct-boot kernel path, or null
     * @param initrd  direct-boot initrd path, or null
     * @param cmdline kernel command line, or null
     * @param boot    {@code <boot dev>} values in order ({@code hd}, {@code cdrom}, {@code network})
     */
    public record OsDef(String type, String arch, String machine, String kernel, String initrd, String cmdline,
                        List<String> boot) {
        public OsDef {
            Objects.requireNonNull(type, "os type");
            boot = List.copyOf(boot);
        }
    }

    /**
     * The {@code <cpu>} element.
     *
     * @param mode  {@code host-passthrough}, {@code host-model}, {@code custom}, {@code maximum}
     * @param model CPU model for {@code custom}, or null
     */
    public record CpuDef(String mode, String model) {
    }

    /**
     * The {@code <clock>} element.
     *
     * @param offset {@code utc} or {@code localtime}
     */
    public record ClockDef(String offset) {
    }
}

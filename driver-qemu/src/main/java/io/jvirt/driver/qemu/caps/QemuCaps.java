package io.jvirt.driver.qemu.caps;

import java.util.List;
import java.util.Set;

/**
 * What one QEMU binary offers, probed once and cached by {@link CapsCache}.
 *
 * @param binary         absolute path of the binary
 * @param mtimeMillis    the binary's modification time when probed (the cache key with the path)
 * @param versionMajor   QEMU's major version
 * @param versionMinor   minor version
 * @param versionMicro   micro version
 * @param versionPackage the distribution's package string
 * @param machines       machine types, the default first when there is one
 * @param defaultMachine the default machine type, or null
 * @param machineAliases alias → canonical machine ({@code pc} → {@code pc-i440fx-7.2}), as "alias=name"
 * @param cpuModels      CPU models {@code -cpu} accepts
 * @param commands       QMP commands in the schema
 * @param events         QMP events in the schema
 * @param kvmPresent     whether the binary was built with KVM support ({@code query-kvm present})
 * @param probeMillis    how long the probe took
 */
public record QemuCaps(String binary, long mtimeMillis, int versionMajor, int versionMinor, int versionMicro,
                       String versionPackage, List<String> machines, String defaultMachine,
                       List<String> machineAliases, List<String> cpuModels, Set<String> commands, Set<String> events,
                       boolean kvmPresent, long probeMillis) {
    public QemuCaps {
        machines = List.copyOf(machines);
        machineAliases = List.copyOf(machineAliases);
        cpuModels = List.copyOf(cpuModels);
        commands = Set.copyOf(commands);
        events = Set.copyOf(events);
    }

    /** Whether the QMP schema has {@code command}. */
    public boolean hasCommand(String command) {
        return commands.contains(command);
    }

    /** Whether disks can be given as {@code -blockdev} (QEMU ≥ 4.2 has {@code blockdev-add} and the option). */
    public boolean blockdev() {
        return hasCommand("blockdev-add") && (versionMajor > 4 || (versionMajor == 4 && versionMinor >= 2));
    }

    /** Version as a number: major * 1,000,000 + minor * 1,000 + micro. */
    public long versionNumber() {
        return versionMajor * 1_000_000L + versionMinor * 1_000L + versionMicro;
    }

    /** {@code 7.2.22}. */
    public String versionString() {
        return versionMajor + "." + versionMinor + "." + versionMicro;
    }

    /** Whether {@code machine} (a name or an alias) is known. */
    public boolean hasMachine(String machine) {
        return machines.contains(machine) || machineAliases.stream().anyMatch(a -> a.startsWith(machine + "="));
    }
}

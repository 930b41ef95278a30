package io.jvirt.driver.qemu.caps;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether this host can run {@code <domain type='kvm'>}.
 *
 * @param devicePresent {@code /dev/kvm} exists
 * @param usable        {@code /dev/kvm} can be opened read-write by this process
 * @param nestedPvm     the KVM module is {@code kvm_pvm}, a nested hypervisor that runs firmware-level
 *                      guests but not a stock Linux kernel
 */
public record KvmStatus(boolean devicePresent, boolean usable, boolean nestedPvm) {
    /** The note shown in capabilities and logged at start when {@link #nestedPvm()}. */
    public static final String NESTED_PVM_NOTE = "kvm: nested kvm_pvm hypervisor cannot run a stock Linux kernel; "
            + "use <domain type='qemu'> (TCG)";

    /** Looks at {@code /dev/kvm} and {@code /sys/module/kvm_pvm}. */
    public static KvmStatus detect() {
        return detect(Path.of("/dev/kvm"), Path.of("/sys/module/kvm_pvm"));
    }

    /** Looks at the given paths (for tests). */
    public static KvmStatus detect(Path device, Path pvmModule) {
        boolean present = Files.exists(device);
        boolean usable = present && Files.isReadable(device) && Files.isWritable(device);
        return new KvmStatus(present, usable, Files.isDirectory(pvmModule));
    }

    /** Why {@code type='kvm'} cannot run, or null when it can. */
    public String unusableReason() {
        if (!devicePresent) {
            return "/dev/kvm does not exist (no KVM on this host); use <domain type='qemu'> for TCG";
        }
        if (!usable) {
            return "/dev/kvm is not accessible to this user; use <domain type='qemu'> for TCG or get access to /dev/kvm";
        }
        return null;
    }
}

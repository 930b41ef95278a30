package io.jvirt.driver.qemu.agent;

/**
 * The guest's operating system as guest-get-osinfo reports it; members the agent omits are null.
 *
 * @param id            os-release ID ({@code debian})
 * @param name          os-release NAME
 * @param prettyName    os-release PRETTY_NAME
 * @param version       os-release VERSION
 * @param versionId     os-release VERSION_ID
 * @param variant       os-release VARIANT
 * @param variantId     os-release VARIANT_ID
 * @param kernelRelease the kernel release ({@code uname -r})
 * @param kernelVersion the kernel version ({@code uname -v})
 * @param machine       the machine ({@code x86_64})
 */
public record GuestOsInfo(String id, String name, String prettyName, String version, String versionId,
                          String variant, String variantId, String kernelRelease, String kernelVersion,
                          String machine) {
}

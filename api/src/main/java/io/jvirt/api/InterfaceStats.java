package io.jvirt.api;

/**
 * A network interface's counters, as {@code virsh domifstat} shows them.
 */
public record InterfaceStats(long rxBytes, long rxPackets, long rxErrs, long rxDrop,
                             long txBytes, long txPackets, long txErrs, long txDrop) {
}

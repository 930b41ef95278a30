package io.jvirt.api;

import java.util.List;

/**
 * A guest interface and its addresses, as {@code virsh domifaddr} shows them.
 *
 * @param name      interface name inside the guest ({@code eth0})
 * @param mac       hardware address
 * @param addresses addresses with prefix ({@code 10.0.2.15/24})
 */
public record InterfaceAddresses(String name, String mac, List<String> addresses) {
    public InterfaceAddresses {
        addresses = List.copyOf(addresses);
    }

    /** Where the addresses come from. */
    public enum Source {
        LEASE, AGENT, ARP
    }
}

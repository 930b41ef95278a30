package io.jvirt.api.xml;

/**
 * Reads and writes libvirt domain XML ({@code <domain>}) as {@link DomainDef}s, with the JDK's
 * StAX. Hardened: no DTDs, no external entities, a size limit.
 *
 * <p>The supported subset, the rule for unknown elements (rejected with their path; device
 * {@code <address>} elements are ignored), units and defaults are described in
 * {@code docs/domain-xml.md}. Every error is a {@link io.jvirt.api.VirtException} with
 * {@link io.jvirt.api.ErrorCode#XML_ERROR} and a one-line message naming the element path.
 */
public final class DomainXml {
    /** The largest document accepted, in characters. */
    public static final int MAX_DOCUMENT_CHARS = 10 * 1024 * 1024;

    private DomainXml() {
    }

    /**
     * Parses a domain document. A missing UUID is generated, a missing MAC address is generated
     * under QEMU's OUI {@code 52:54:00}, a missing disk bus is derived from the target name, and
     * lifecycle actions default to libvirt's.
     *
     * @throws io.jvirt.api.VirtException {@code XML_ERROR} naming what was wrong (the element's path)
     */
    public static DomainDef parse(String xml) {
        return DomainXmlReader.parse(xml);
    }

    /** Writes the inactive (persistent) form of a definition: no {@code id}, no aliases. */
    public static String format(DomainDef def) {
        return format(def, -1);
    }

    /**
     * Writes a definition; {@code id >= 0} writes the live form with {@code id='…'} and the
     * devices' {@code <alias>}es.
     *
     * @throws io.jvirt.api.VirtException {@code XML_ERROR} when the definition breaks a rule parsing enforces
     *                                    (an invalid name, no vCPU, current memory above maximum)
     */
    public static String format(DomainDef def, int id) {
        return DomainXmlWriter.format(def, id);
    }

    /**
     * Parses one device element ({@code <disk>}, {@code <interface>}, {@code <controller>},
     * {@code <serial>}, {@code <console>}, {@code <channel>}, {@code <memballoon>},
     * {@code <graphics>}, {@code <lease>}) as given to attach/detach. A controller without an
     * index gets index 0.
     *
     * @throws io.jvirt.api.VirtException {@code XML_ERROR} naming what was wrong
     */
    public static Device parseDevice(String xml) {
        return DomainXmlReader.parseDevice(xml);
    }

    /** Writes one device element, with its {@code <alias>} when it has one. */
    public static String formatDevice(Device device) {
        return DomainXmlWriter.formatDevice(device);
    }
}

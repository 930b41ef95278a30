package io.jvirt.api.xml;

/**
 * Reads and writes libvirt domain XML ({@code <domain>}) as {@link DomainDef}s, with the JDK's
 * StAX. Hardened: no DTDs, no external entities, a size limit.
 */
public final class DomainXml {
    /** The largest document accepted, in characters. */
    public static final int MAX_DOCUMENT_CHARS = 10 * 1024 * 1024;

    private DomainXml() {
    }

    /**
     * Parses a domain document.
     *
     * @throws io.jvirt.api.VirtException {@code XML_ERROR} naming what was wrong (the element's path)
     */
    public static DomainDef parse(String xml) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Writes the inactive (persistent) form of a definition. */
    public static String format(DomainDef def) {
        return format(def, -1);
    }

    /** Writes a definition; {@code id >= 0} writes the live form with {@code id='…'}. */
    public static String format(DomainDef def, int id) {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * Parses one device element ({@code <disk>}, {@code <interface>}, …) as given to attach/detach.
     *
     * @throws io.jvirt.api.VirtException {@code XML_ERROR} naming what was wrong
     */
    public static Device parseDevice(String xml) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Writes one device element. */
    public static String formatDevice(Device device) {
        throw new UnsupportedOperationException("not yet");
    }
}

package io.jvirt.api;

/**
 * A three-part version, as libvirt reports hypervisor and library versions.
 *
 * @param major major part
 * @param minor minor part
 * @param micro micro (release) part
 */
public record Version(int major, int minor, int micro) implements Comparable<Version> {
    public Version {
        if (major < 0 || minor < 0 || micro < 0) {
            throw new IllegalArgumentException("negative version part: " + major + "." + minor + "." + micro);
        }
    }

    /** Parses {@code "8.2.1"}, {@code "7.2"} or {@code "7.2.0 (Debian …)"}. */
    public static Version parse(String text) {
        String head = text.strip().split("[^0-9.]", 2)[0];
        String[] parts = head.split("\\.");
        try {
            int a = Integer.parseInt(parts[0]);
            int b = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            int c = parts.length > 2 ? Integer.parseInt(parts[2]) : 0;
            return new Version(a, b, c);
        } catch (NumberFormatException e) {
            throw new VirtException(ErrorCode.INVALID_ARG, "not a version: '" + text + "'");
        }
    }

    /** libvirt's number form: {@code major * 1,000,000 + minor * 1,000 + micro}. */
    public long toNumber() {
        return major * 1_000_000L + minor * 1_000L + micro;
    }

    @Override
    public int compareTo(Version o) {
        return Long.compare(toNumber(), o.toNumber());
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + micro;
    }
}

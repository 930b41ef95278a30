package io.jvirt.api.xml;

import java.math.BigInteger;
import java.util.Locale;

/**
 * Memory sizes with libvirt's unit suffixes, normalised to KiB.
 *
 * <p>Suffixes are case-insensitive: {@code b}, {@code byte}, {@code bytes}; {@code k}/{@code KiB},
 * {@code M}/{@code MiB}, {@code G}/{@code GiB}, {@code T}/{@code TiB}, {@code P}/{@code PiB},
 * {@code E}/{@code EiB} are powers of 1024; {@code KB}, {@code MB}, {@code GB}, {@code TB},
 * {@code PB}, {@code EB} are powers of 1000. No unit means KiB. Sizes in bytes are rounded up to
 * whole KiB.
 */
final class Units {
    private static final BigInteger KIB = BigInteger.valueOf(1024);
    private static final BigInteger MAX_KIB = BigInteger.valueOf(Long.MAX_VALUE);

    private Units() {
    }

    /**
     * Converts a decimal number with a unit to KiB.
     *
     * @param value the element text (surrounding whitespace is ignored)
     * @param unit  the unit attribute, or null for KiB
     * @param path  the element path, for messages
     */
    static long toKiB(String value, String unit, String path) {
        String v = value.strip();
        if (v.isEmpty() || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw XmlCursor.error("invalid value '" + v + "' for " + path + ": not a number");
        }
        BigInteger bytes = new BigInteger(v).multiply(scale(unit, path));
        BigInteger kib = bytes.add(KIB.subtract(BigInteger.ONE)).divide(KIB);
        if (kib.compareTo(MAX_KIB) > 0) {
            throw XmlCursor.error("invalid value '" + v + "' for " + path + ": too large");
        }
        return kib.longValueExact();
    }

    /** Bytes per unit. */
    private static BigInteger scale(String unit, String path) {
        if (unit == null) {
            return KIB;
        }
        String u = unit.strip().toLowerCase(Locale.ROOT);
        if (u.isEmpty()) {
            throw badUnit(unit, path);
        }
        switch (u) {
            case "b", "byte", "bytes" -> {
                return BigInteger.ONE;
            }
            default -> {
            }
        }
        int base;
        if (u.length() == 1 || u.substring(1).equals("ib")) {
            base = 1024;
        } else if (u.length() == 2 && u.charAt(1) == 'b') {
            base = 1000;
        } else {
            throw badUnit(unit, path);
        }
        int power = "kmgtpe".indexOf(u.charAt(0)) + 1;
        if (power == 0) {
            throw badUnit(unit, path);
        }
        return BigInteger.valueOf(base).pow(power);
    }

    private static RuntimeException badUnit(String unit, String path) {
        return XmlCursor.error("invalid unit '" + unit + "' for " + path
                + ": expected b, KiB, KB, MiB, MB, GiB, GB, TiB, TB (or k, M, G, T)");
    }
}

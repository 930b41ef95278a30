package io.jvirt.api.xml;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/** Validation of domain names, UUIDs and MAC addresses, and generation of MACs. */
final class Names {
    /** The longest domain name accepted, in characters. */
    static final int MAX_NAME_LENGTH = 200;

    private static final Pattern UUID_DASHED =
            Pattern.compile("\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}");
    private static final Pattern UUID_PLAIN = Pattern.compile("\\p{XDigit}{32}");
    private static final Pattern MAC = Pattern.compile("\\p{XDigit}{2}(:\\p{XDigit}{2}){5}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private Names() {
    }

    /** Checks a domain name against jvirt's rules; throws XML_ERROR naming the rule broken. */
    static String checkName(String name, String path) {
        if (name.isEmpty()) {
            throw XmlCursor.error("invalid domain name at " + path + ": must not be empty");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw XmlCursor.error("invalid domain name at " + path + ": longer than " + MAX_NAME_LENGTH
                    + " characters (" + name.length() + ")");
        }
        if (name.indexOf('/') >= 0) {
            throw XmlCursor.error("invalid domain name '" + name + "' at " + path + ": must not contain '/'");
        }
        if (name.startsWith(".")) {
            throw XmlCursor.error("invalid domain name '" + name + "' at " + path + ": must not start with '.'");
        }
        if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw XmlCursor.error("invalid domain name at " + path + ": must not contain control characters");
        }
        if (!name.equals(name.strip())) {
            throw XmlCursor.error("invalid domain name '" + name + "' at " + path
                    + ": must not start or end with whitespace");
        }
        return name;
    }

    /** Parses a UUID in the 8-4-4-4-12 form or as 32 hex digits. */
    static UUID parseUuid(String text, String path) {
        String s = text.strip();
        if (UUID_PLAIN.matcher(s).matches()) {
            s = s.substring(0, 8) + "-" + s.substring(8, 12) + "-" + s.substring(12, 16) + "-"
                    + s.substring(16, 20) + "-" + s.substring(20);
        } else if (!UUID_DASHED.matcher(s).matches()) {
            throw XmlCursor.error("invalid value '" + s + "' for " + path + ": not a UUID");
        }
        return UUID.fromString(s);
    }

    /** Checks and lower-cases a unicast MAC address. */
    static String checkMac(String mac, String path) {
        String m = mac.strip().toLowerCase(Locale.ROOT);
        if (!MAC.matcher(m).matches()) {
            throw XmlCursor.error("invalid value '" + mac + "' for " + path + ": not a MAC address");
        }
        if ((HexFormat.fromHexDigits(m, 0, 2) & 1) != 0) {
            throw XmlCursor.error("invalid value '" + mac + "' for " + path + ": multicast address");
        }
        return m;
    }

    /** A random MAC address under QEMU's OUI 52:54:00, as libvirt generates for QEMU guests. */
    static String randomMac() {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        return "52:54:00:" + HexFormat.ofDelimiter(":").formatHex(b);
    }
}

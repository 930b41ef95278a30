package io.jvirt.api.xml;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import javax.xml.stream.XMLStreamReader;

/** The attributes of one element, checked against the names the element allows. */
final class Attrs {
    private final String path;
    private final Map<String, String> values = new HashMap<>();

    Attrs(XmlCursor cursor, XMLStreamReader reader, String path, String... allowed) {
        this.path = path;
        List<String> ok = Arrays.asList(allowed);
        for (int i = 0; i < reader.getAttributeCount(); i++) {
            String ns = reader.getAttributeNamespace(i);
            String local = reader.getAttributeLocalName(i);
            String prefix = reader.getAttributePrefix(i);
            String name = prefix == null || prefix.isEmpty() ? local : prefix + ":" + local;
            if ((ns != null && !ns.isEmpty()) || !ok.contains(local)) {
                throw XmlCursor.error("unsupported attribute " + path + "/@" + name);
            }
            String v = reader.getAttributeValue(i);
            if (v.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw XmlCursor.error("invalid value for " + path + "/@" + name + ": control characters are not allowed");
            }
            values.put(local, v);
        }
    }

    private String at(String name) {
        return path + "/@" + name;
    }

    /** The raw value, or null. */
    String get(String name) {
        return values.get(name);
    }

    /** A value that must be present and not blank. */
    String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw XmlCursor.error("missing attribute " + at(name));
        }
        if (v.isBlank()) {
            throw XmlCursor.error("invalid value '' for " + at(name) + ": must not be empty");
        }
        return v;
    }

    /** An optional value that must not be blank when present. */
    String optional(String name) {
        String v = values.get(name);
        return v == null ? null : required(name);
    }

    /** One of a fixed set of values; {@code dflt} when absent (null dflt: required). */
    String oneOf(String name, String dflt, String... allowed) {
        String v = values.get(name);
        if (v == null) {
            if (dflt == null) {
                throw XmlCursor.error("missing attribute " + at(name) + " (one of " + String.join(", ", allowed) + ")");
            }
            return dflt;
        }
        return Attrs.check(v.strip(), at(name), allowed);
    }

    /** An optional value from a fixed set, or null. */
    String optionalOneOf(String name, String... allowed) {
        String v = values.get(name);
        return v == null ? null : Attrs.check(v.strip(), at(name), allowed);
    }

    /** An integer in {@code [min, max]}, {@code dflt} when absent. */
    long number(String name, long dflt, long min, long max) {
        String v = values.get(name);
        return v == null ? dflt : Attrs.number(v, at(name), min, max);
    }

    /** {@code yes} or {@code no}; {@code dflt} when absent. */
    boolean yesNo(String name, boolean dflt) {
        String v = values.get(name);
        return v == null ? dflt : "yes".equals(Attrs.check(v.strip(), at(name), "yes", "no"));
    }

    /** An optional value matching a pattern, or null. */
    String matching(String name, Pattern pattern, String what) {
        String v = values.get(name);
        if (v != null && !pattern.matcher(v).matches()) {
            throw XmlCursor.error("invalid value '" + v + "' for " + at(name) + ": expected " + what);
        }
        return v;
    }

    /** Checks a value against a fixed set. */
    static String check(String v, String where, String... allowed) {
        for (String a : allowed) {
            if (a.equals(v)) {
                return a;
            }
        }
        throw XmlCursor.error("invalid value '" + v + "' for " + where + ": expected one of "
                + String.join(", ", allowed));
    }

    /** Parses a decimal integer in {@code [min, max]}. */
    static long number(String text, String where, long min, long max) {
        String v = text.strip();
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw XmlCursor.error("invalid value '" + v + "' for " + where + ": not a number");
        }
        if (n < min || n > max) {
            throw XmlCursor.error("invalid value '" + v + "' for " + where + ": expected " + min + " to " + max);
        }
        return n;
    }
}

package io.jvirt.cli;

/** Escaping for the little XML jvirsh writes itself ({@code capabilities}). */
final class Xml {
    private Xml() {
    }

    /** Escapes character data. */
    static String text(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Escapes a single-quoted attribute value. */
    static String attr(String s) {
        return text(s).replace("'", "&apos;").replace("\"", "&quot;");
    }

    /** Makes text safe inside a comment (no "--"). */
    static String comment(String s) {
        return s == null ? "" : s.replace("--", "- -").replaceAll("[\\r\\n]+", " ");
    }
}

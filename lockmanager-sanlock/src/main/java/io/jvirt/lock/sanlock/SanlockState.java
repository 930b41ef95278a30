package io.jvirt.lock.sanlock;

import java.util.ArrayList;
import java.util.List;

/**
 * Splitting sanlock's state strings: entries are separated by spaces, fields by colons; a
 * backslash escapes the next character (paths may contain spaces and colons).
 */
final class SanlockState {
    private SanlockState() {
    }

    /** The entries of a state string, escapes kept. */
    static List<String> entries(String state) {
        return split(state, ' ', false);
    }

    /** The fields of one entry, escapes removed. */
    static List<String> fields(String entry) {
        return split(entry, ':', true);
    }

    private static List<String> split(String s, char sep, boolean unescape) {
        List<String> out = new ArrayList<>();
        if (s == null || s.isEmpty()) {
            return out;
        }
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                if (!unescape) {
                    cur.append(c);
                }
                cur.append(s.charAt(++i));
            } else if (c == sep) {
                if (!cur.isEmpty() || sep == ':') {
                    out.add(cur.toString());
                }
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (!cur.isEmpty() || sep == ':') {
            out.add(cur.toString());
        }
        return out;
    }
}

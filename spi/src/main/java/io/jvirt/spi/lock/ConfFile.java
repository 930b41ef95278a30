package io.jvirt.spi.lock;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A configuration file in the hypervisor-daemon style: {@code key = "string"},
 * {@code key = 1}, {@code key = [ "a", "b" ]} (lists may span lines), {@code # comments}.
 * Values are strings, longs or lists of those; booleans are {@code 0}/{@code 1}. Every error
 * names the file and line.
 */
public final class ConfFile {
    private record Entry(Object value, int line) {
    }

    private final String source;
    private final Map<String, Entry> entries;

    private ConfFile(String source, Map<String, Entry> entries) {
        this.source = source;
        this.entries = entries;
    }

    /** An empty configuration (every getter returns its default). */
    public static ConfFile empty(String source) {
        return new ConfFile(source, Map.of());
    }

    /** Settings given in code (tests, embedding): values are String, Long/Integer, Boolean or List. */
    public static ConfFile of(String source, Map<String, ?> values) {
        Map<String, Entry> m = new LinkedHashMap<>();
        values.forEach((k, v) -> m.put(k, new Entry(normalize(v), 0)));
        return new ConfFile(source, Collections.unmodifiableMap(m));
    }

    private static Object normalize(Object v) {
        return switch (v) {
            case Integer i -> (long) i;
            case Boolean b -> b ? 1L : 0L;
            case List<?> l -> l.stream().map(ConfFile::normalize).toList();
            default -> v;
        };
    }

    /** Reads {@code file}; a missing file gives an empty configuration. */
    public static ConfFile read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return empty(file.toString());
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot read " + file + ": " + e.getMessage(), e);
        }
        return parse(file.toString(), text);
    }

    /** Parses {@code text}; {@code source} names it in errors. */
    public static ConfFile parse(String source, String text) {
        return new ConfFile(source, Collections.unmodifiableMap(new Parser(source, text).parse()));
    }

    /** Where these settings came from (a file path or a label). */
    public String source() {
        return source;
    }

    /** The keys present. */
    public Set<String> keys() {
        return entries.keySet();
    }

    /** Fails naming file:line for the first key not in {@code known}. */
    public void requireKnown(Set<String> known) {
        for (var e : entries.entrySet()) {
            if (!known.contains(e.getKey())) {
                throw error(e.getValue().line, "unknown setting '" + e.getKey() + "' (known: "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    /** A string setting, or {@code def} when absent. */
    public String getString(String key, String def) {
        Entry e = entries.get(key);
        if (e == null) {
            return def;
        }
        if (!(e.value instanceof String s)) {
            throw error(e.line, "setting '" + key + "' must be a string in double quotes");
        }
        return s;
    }

    /** An integer setting, or {@code def} when absent. */
    public long getLong(String key, long def) {
        Entry e = entries.get(key);
        if (e == null) {
            return def;
        }
        if (!(e.value instanceof Long l)) {
            throw error(e.line, "setting '" + key + "' must be an integer");
        }
        return l;
    }

    /** A boolean setting written {@code 0} or {@code 1}, or {@code def} when absent. */
    public boolean getBoolean(String key, boolean def) {
        Entry e = entries.get(key);
        if (e == null) {
            return def;
        }
        if (!(e.value instanceof Long l) || (l != 0 && l != 1)) {
            throw error(e.line, "setting '" + key + "' must be 0 or 1");
        }
        return l == 1;
    }

    /** A list of strings, or {@code def} when absent. */
    public List<String> getStringList(String key, List<String> def) {
        Entry e = entries.get(key);
        if (e == null) {
            return def;
        }
        if (!(e.value instanceof List<?> l) || !l.stream().allMatch(String.class::isInstance)) {
            throw error(e.line, "setting '" + key + "' must be a list of strings, e.g. [ \"a\", \"b\" ]");
        }
        return l.stream().map(String.class::cast).toList();
    }

    /** An error naming this file and the line of {@code key} (or the file alone). */
    public VirtException error(String key, String message) {
        Entry e = entries.get(key);
        return error(e == null ? 0 : e.line, message);
    }

    private VirtException error(int line, String message) {
        return new VirtException(ErrorCode.INVALID_ARG, (line > 0 ? source + ":" + line : source) + ": " + message);
    }

    private static final class Parser {
        private final String source;
        private final String s;
        private int pos;
        private int line = 1;

        Parser(String source, String text) {
            this.source = source;
            this.s = text;
        }

        Map<String, Entry> parse() {
            Map<String, Entry> out = new LinkedHashMap<>();
            while (true) {
                skipBlankAndComments(true);
                if (pos >= s.length()) {
                    return out;
                }
                int keyLine = line;
                String key = ident();
                skipSpaces();
                expect('=', "expected '=' after '" + key + "'");
                skipSpaces();
                Object value = value();
                skipSpaces();
                if (pos < s.length() && s.charAt(pos) == '#') {
                    skipComment();
                }
                if (pos < s.length() && s.charAt(pos) != '\n' && s.charAt(pos) != ';') {
                    throw fail("unexpected '" + s.charAt(pos) + "' after the value of '" + key + "'");
                }
                if (pos < s.length() && s.charAt(pos) == ';') {
                    pos++;
                }
                if (out.containsKey(key)) {
                    throw new VirtException(ErrorCode.INVALID_ARG, source + ":" + keyLine + ": setting '" + key
                            + "' given twice (first on line " + out.get(key).line + ")");
                }
                out.put(key, new Entry(value, keyLine));
            }
        }

        private String ident() {
            int start = pos;
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_'
                    || s.charAt(pos) == '.' || s.charAt(pos) == '-')) {
                pos++;
            }
            if (start == pos || !Character.isLetter(s.charAt(start))) {
                throw fail("expected a setting name" + (pos < s.length() ? " but found '" + s.charAt(pos) + "'" : ""));
            }
            return s.substring(start, pos);
        }

        private Object value() {
            if (pos >= s.length()) {
                throw fail("missing value at end of file");
            }
            char c = s.charAt(pos);
            if (c == '"' || c == '\'') {
                return string(c);
            }
            if (c == '-' || Character.isDigit(c)) {
                int start = pos;
                pos++;
                while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
                    pos++;
                }
                try {
                    return Long.parseLong(s.substring(start, pos));
                } catch (NumberFormatException e) {
                    throw fail("bad integer '" + s.substring(start, pos) + "'");
                }
            }
            if (c == '[') {
                int listLine = line;
                pos++;
                List<Object> list = new ArrayList<>();
                while (true) {
                    skipBlankAndComments(true);
                    if (pos >= s.length()) {
                        throw new VirtException(ErrorCode.INVALID_ARG, source + ":" + listLine
                                + ": unterminated list: missing ']'");
                    }
                    if (s.charAt(pos) == ']') {
                        pos++;
                        return List.copyOf(list);
                    }
                    if (!list.isEmpty()) {
                        expect(',', "expected ',' or ']' in list");
                        skipBlankAndComments(true);
                        if (pos >= s.length()) {
                            throw new VirtException(ErrorCode.INVALID_ARG, source + ":" + listLine
                                    + ": unterminated list: missing ']'");
                        }
                        if (s.charAt(pos) == ']') {
                            pos++;
                            return List.copyOf(list);
                        }
                    }
                    Object v = value();
                    if (v instanceof List) {
                        throw fail("nested lists are not allowed");
                    }
                    list.add(v);
                }
            }
            throw fail("expected a value (\"string\", integer or [ list ]) but found '" + c + "'");
        }

        private String string(char quote) {
            pos++;
            int start = pos;
            while (pos < s.length() && s.charAt(pos) != quote) {
                if (s.charAt(pos) == '\n') {
                    throw fail("unterminated string: missing " + quote);
                }
                pos++;
            }
            if (pos >= s.length()) {
                throw fail("unterminated string: missing " + quote);
            }
            return s.substring(start, pos++);
        }

        private void expect(char c, String message) {
            if (pos >= s.length() || s.charAt(pos) != c) {
                throw fail(message);
            }
            pos++;
        }

        private void skipSpaces() {
            while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t' || s.charAt(pos) == '\r')) {
                pos++;
            }
        }

        private void skipComment() {
            while (pos < s.length() && s.charAt(pos) != '\n') {
                pos++;
            }
        }

        private void skipBlankAndComments(boolean newlines) {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '#') {
                    skipComment();
                } else if (c == '\n' && newlines) {
                    line++;
                    pos++;
                } else if (c == ' ' || c == '\t' || c == '\r' || c == ';') {
                    pos++;
                } else {
                    return;
                }
            }
        }

        private VirtException fail(String message) {
            return new VirtException(ErrorCode.INVALID_ARG, source + ":" + line + ": " + message);
        }
    }
}

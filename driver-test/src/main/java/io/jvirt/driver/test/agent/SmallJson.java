package io.jvirt.driver.test.agent;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader and string quoter, enough for guest-agent requests: objects become
 * {@link LinkedHashMap}s, arrays {@link ArrayList}s, numbers {@link Long} (or {@link Double} with a
 * fraction or exponent), and {@code true}/{@code false}/{@code null} themselves. Nesting is
 * limited to {@value #MAX_DEPTH} levels.
 */
final class SmallJson {
    /** The deepest nesting accepted. */
    static final int MAX_DEPTH = 16;

    private final String text;
    private int pos;

    private SmallJson(String text) {
        this.text = text;
    }

    /** Thrown for text that is not JSON; the message says where and why. */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message);
        }
    }

    /** Parses one JSON value that makes up all of {@code text} (blank around it allowed). */
    static Object parse(String text) throws MalformedException {
        SmallJson p = new SmallJson(text);
        p.blank();
        Object v = p.value(0);
        p.blank();
        if (p.pos != text.length()) {
            throw p.bad("unexpected text after the value");
        }
        return v;
    }

    private Object value(int depth) throws MalformedException {
        if (depth > MAX_DEPTH) {
            throw bad("nested deeper than " + MAX_DEPTH + " levels");
        }
        if (pos >= text.length()) {
            throw bad("unexpected end of input");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> word("true", Boolean.TRUE);
            case 'f' -> word("false", Boolean.FALSE);
            case 'n' -> word("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw bad("unexpected character '" + c + "'");
            }
        };
    }

    private Map<String, Object> object(int depth) throws MalformedException {
        Map<String, Object> out = new LinkedHashMap<>();
        pos++;
        blank();
        if (peek() == '}') {
            pos++;
            return out;
        }
        while (true) {
            blank();
            if (peek() != '"') {
                throw bad("expected a member name in quotes");
            }
            String key = string();
            blank();
            expect(':');
            blank();
            out.put(key, value(depth + 1));
            blank();
            char c = next();
            if (c == '}') {
                return out;
            }
            if (c != ',') {
                throw bad("expected ',' or '}' in an object");
            }
        }
    }

    private List<Object> array(int depth) throws MalformedException {
        List<Object> out = new ArrayList<>();
        pos++;
        blank();
        if (peek() == ']') {
            pos++;
            return out;
        }
        while (true) {
            blank();
            out.add(value(depth + 1));
            blank();
            char c = next();
            if (c == ']') {
                return out;
            }
            if (c != ',') {
                throw bad("expected ',' or ']' in an array");
            }
        }
    }

    private String string() throws MalformedException {
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw bad("control character in a string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw bad("short \\u escape");
                    }
                    try {
                        sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw bad("bad \\u escape");
                    }
                    pos += 4;
                }
                default -> throw bad("bad escape '\\" + e + "'");
            }
        }
    }

    private Object number() throws MalformedException {
        int start = pos;
        boolean fraction = false;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '.' || c == 'e' || c == 'E') {
                fraction = true;
            } else if (!(c == '-' || c == '+' || (c >= '0' && c <= '9'))) {
                break;
            }
            pos++;
        }
        String s = text.substring(start, pos);
        try {
            return fraction ? (Object) Double.parseDouble(s) : (Object) Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw bad("bad number '" + s + "'");
        }
    }

    private Object word(String w, Object v) throws MalformedException {
        if (!text.startsWith(w, pos)) {
            throw bad("unexpected word");
        }
        pos += w.length();
        return v;
    }

    private void blank() {
        while (pos < text.length() && " \t\r\n".indexOf(text.charAt(pos)) >= 0) {
            pos++;
        }
    }

    private char peek() throws MalformedException {
        if (pos >= text.length()) {
            throw bad("unexpected end of input");
        }
        return text.charAt(pos);
    }

    private char next() throws MalformedException {
        char c = peek();
        pos++;
        return c;
    }

    private void expect(char c) throws MalformedException {
        if (next() != c) {
            pos--;
            throw bad("expected '" + c + "'");
        }
    }

    private MalformedException bad(String why) {
        return new MalformedException(why + " at offset " + pos);
    }

    /** {@code s} as a JSON string literal, quotes included. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}

package io.jvirt.lock.lockd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The jvirt-lockd wire protocol: one JSON object per line (UTF-8, {@code \n}-terminated) in each
 * direction, one response per request. Described in {@code docs/lock-managers.md}.
 * <p>
 * Requests: {@code {"cmd": C, "id": optional echo, ...}} with C one of {@code ping},
 * {@code register} ({@code owner}, {@code restrict}), {@code acquire} ({@code resources}),
 * {@code release} (optional {@code files}), {@code inquire}, {@code list}, {@code handover}.
 * Responses: {@code {"ok": true, ...}} or {@code {"ok": false, "code": ERRORCODE, "error": TEXT}}.
 */
public final class Protocol {
    /** The longest line accepted, newline excluded; longer ones end the connection. */
    public static final int MAX_LINE = 64 * 1024;
    /** The protocol version reported by {@code ping}. */
    public static final int VERSION = 1;

    static final ObjectMapper JSON = new ObjectMapper();

    private Protocol() {
    }

    /** A line longer than {@link #MAX_LINE}. */
    static final class OversizedException extends IOException {
        OversizedException() {
            super("message too long (limit " + MAX_LINE + " bytes per line)");
        }
    }

    /**
     * Reads one line; {@code null} at a clean end of stream; {@link EOFException} when the stream
     * ends inside a line (a truncated message); {@link OversizedException} past the limit.
     */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (buf.size() == 0) {
                    return null;
                }
                throw new EOFException("connection closed inside a message (" + buf.size() + " bytes without newline)");
            }
            if (b == '\n') {
                return buf.toString(StandardCharsets.UTF_8);
            }
            if (buf.size() >= MAX_LINE) {
                throw new OversizedException();
            }
            buf.write(b);
        }
    }

    /** Writes one JSON object as a line and flushes. */
    static void writeLine(OutputStream out, JsonNode node) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(node);
        byte[] line = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, line, 0, bytes.length);
        line[bytes.length] = '\n';
        out.write(line);
        out.flush();
    }

    /** A success response. */
    static ObjectNode ok() {
        return JSON.createObjectNode().put("ok", true);
    }

    /** An error response. */
    static ObjectNode error(String code, String message) {
        return JSON.createObjectNode().put("ok", false).put("code", code).put("error", message);
    }
}

package io.jvirt.lock.lockd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A connection to jvirt-lockd: one request, one response. Errors become {@link VirtException}s
 * with the daemon's code; an unreachable daemon is {@code OPERATION_FAILED}.
 */
public final class LockdClient implements AutoCloseable {
    /** How long a reply may take. */
    static final int TIMEOUT_MS = 10_000;

    private final AFUNIXSocket socket;
    private final InputStream in;
    private final OutputStream out;

    private LockdClient(AFUNIXSocket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(TIMEOUT_MS);
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /**
     * Connects to the daemon at {@code socketPath}.
     *
     * @param purpose what the caller wanted, for the error (e.g. "acquire locks for domain 'vm1'")
     */
    public static LockdClient connect(Path socketPath, String purpose) {
        try {
            return new LockdClient(AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socketPath)));
        } catch (IOException e) {
            throw notRunning(socketPath, e.getMessage(), purpose, e);
        }
    }

    /**
     * The error for a daemon that cannot be connected: it names the socket, the system's reason and
     * how to start the daemon. {@code OPERATION_FAILED}, the code of every unreachable lock service.
     *
     * @param reason  the system's reason ({@code Connection refused}); a leading
     *                {@code connect PATH: } (the spawn helper's form) is dropped
     * @param purpose what was refused, e.g. "register domain 'vm1'"
     */
    public static VirtException notRunning(Path socketPath, String reason, String purpose, Throwable cause) {
        String why = reason == null ? "unknown reason" : reason.replaceFirst("^connect \\S+: ", "");
        String lower = why.toLowerCase(java.util.Locale.ROOT);
        // refused / missing socket: nobody listens; anything else (permissions ...) is said as is
        String head = lower.contains("refused") || lower.contains("no such file") ? "jvirt-lockd is not running"
                : "jvirt-lockd cannot be reached";
        return new VirtException(ErrorCode.OPERATION_FAILED, head + ": cannot connect to " + socketPath + " (" + why
                + "); start it with 'bin/jvirt-lockd --socket " + socketPath + "' (or 'systemctl start jvirt-lockd')"
                + "; refusing to " + purpose, cause);
    }

    /** Sends {@code request} and returns the successful response, or throws its error. */
    public JsonNode call(ObjectNode request) {
        try {
            Protocol.writeLine(out, request);
            String line = Protocol.readLine(in);
            if (line == null) {
                throw new IOException("connection closed before the reply");
            }
            return check(Protocol.JSON.readTree(line));
        } catch (IOException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "jvirt-lockd request '" + request.path("cmd").asText()
                    + "' failed: " + e.getMessage(), e);
        }
    }

    /**
     * Sends both requests in one write and returns both replies, unchecked ({@link #check}): one
     * round trip where two calls take two. The daemon answers requests of a connection in order.
     */
    public JsonNode[] exchange(ObjectNode first, ObjectNode second) {
        try {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            Protocol.writeLine(buf, first);
            Protocol.writeLine(buf, second);
            out.write(buf.toByteArray());
            out.flush();
            JsonNode[] replies = new JsonNode[2];
            for (int i = 0; i < 2; i++) {
                String line = Protocol.readLine(in);
                if (line == null) {
                    throw new IOException("connection closed before the reply");
                }
                replies[i] = Protocol.JSON.readTree(line);
            }
            return replies;
        } catch (IOException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "jvirt-lockd request '" + first.path("cmd").asText()
                    + "' + '" + second.path("cmd").asText() + "' failed: " + e.getMessage(), e);
        }
    }

    /**
     * Whether this connection can take another request: open, and nothing waiting to be read
     * (a daemon that closed it — idle timeout, restart — shows as a readable end of stream).
     */
    public boolean usable() {
        if (socket.isClosed()) {
            return false;
        }
        try {
            int fd = FileDescriptorCast.using(socket.getFileDescriptor()).as(Integer.class);
            return !Poll.readable(fd, 0);
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether {@code e}, thrown by a call, means the connection broke (rather than a refusal by the daemon). */
    public static boolean broken(VirtException e) {
        return e.getCause() instanceof IOException;
    }

    static JsonNode check(JsonNode resp) {
        if (resp.path("ok").asBoolean(false)) {
            return resp;
        }
        ErrorCode code;
        try {
            code = ErrorCode.valueOf(resp.path("code").asText());
        } catch (IllegalArgumentException e) {
            code = ErrorCode.INTERNAL_ERROR;
        }
        throw new VirtException(code, resp.path("error").asText("jvirt-lockd returned an error without text"));
    }

    /**
     * Sends one request over a descriptor connected by another process (the child in its
     * pre-exec window) and reads the reply, bounded by {@link #TIMEOUT_MS}. The descriptor is
     * used with plain read(2)/write(2) and is neither closed nor shut down here.
     */
    public static JsonNode callOver(FileDescriptor fd, ObjectNode request) {
        if (fd == null || !fd.valid()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "invalid descriptor for the jvirt-lockd connection");
        }
        String cmd = request.path("cmd").asText();
        String line;
        try {
            int fdNum = FileDescriptorCast.using(fd).as(Integer.class);
            // Not closed on purpose: the streams wrap a descriptor the caller owns.
            @SuppressWarnings("resource") OutputStream o = new FileOutputStream(fd);
            Protocol.writeLine(o, request);
            @SuppressWarnings("resource") InputStream i = new FileInputStream(fd);
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
            byte[] chunk = new byte[4096];
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0 || !Poll.readable(fdNum, (int) left)) {
                    throw new VirtException(ErrorCode.OPERATION_TIMEOUT, "jvirt-lockd did not answer '" + cmd
                            + "' within " + TIMEOUT_MS + " ms");
                }
                int n = i.read(chunk);
                if (n < 0) {
                    throw new VirtException(ErrorCode.OPERATION_FAILED, "jvirt-lockd closed the child's connection");
                }
                buf.write(chunk, 0, n);
                if (n > 0 && chunk[n - 1] == '\n') {
                    break;
                }
                if (buf.size() > Protocol.MAX_LINE) {
                    throw new IOException("reply too long");
                }
            }
            line = buf.toString(StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "jvirt-lockd request '" + cmd
                    + "' over the child's connection failed: " + e.getMessage(), e);
        }
        try {
            return check(Protocol.JSON.readTree(line));
        } catch (IOException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "bad reply from jvirt-lockd: " + line, e);
        }
    }

    @Override
    public void close() {
        LockDaemon.closeQuietly(socket);
    }
}

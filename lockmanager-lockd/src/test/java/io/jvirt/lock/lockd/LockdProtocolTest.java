package io.jvirt.lock.lockd;

import io.jvirt.testkit.LockdDaemonProcess;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon's protocol, fed bad input: clear errors, and the daemon keeps serving. */
@Timeout(120)
class LockdProtocolTest {
    static Path dir;
    static LockdDaemonProcess daemon;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("lockd-proto");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        daemon = LockdDaemonProcess.start(dir.resolve("lockd.sock"), dir.resolve("daemon.log"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    static final class Raw implements AutoCloseable {
        final AFUNIXSocket s;
        final BufferedReader in;
        final OutputStream out;

        Raw() throws Exception {
            s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(daemon.socket()));
            s.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            out = s.getOutputStream();
        }

        JsonNode send(String text) throws Exception {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
            String line = in.readLine();
            return line == null ? null : Protocol.JSON.readTree(line);
        }

        @Override
        public void close() throws Exception {
            s.close();
        }
    }

    private static void assertError(JsonNode r, String code, String text) {
        assertEquals(false, r.path("ok").asBoolean(true), r::toString);
        assertEquals(code, r.path("code").asText(), r::toString);
        assertTrue(r.path("error").asText().contains(text), () -> "expected '" + text + "' in " + r);
    }

    private static void assertServing() throws Exception {
        try (Raw c = new Raw()) {
            JsonNode r = c.send("{\"cmd\":\"ping\",\"id\":7}\n");
            assertTrue(r.path("ok").asBoolean(), r::toString);
            assertEquals(7, r.path("id").asInt());
            assertEquals(daemon.pid(), r.path("pid").asLong());
        }
    }

    @Test
    void socketIsPrivate() throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.socket())));
    }

    @Test
    void garbageAndBadRequestsGetClearErrorsOnTheSameConnection() throws Exception {
        try (Raw c = new Raw()) {
            assertError(c.send("\u0001\u0002garbage{{\n"), "INVALID_ARG", "malformed JSON");
            assertError(c.send("[1,2]\n"), "INVALID_ARG", "must be a JSON object");
            assertError(c.send("{\"nocmd\":1}\n"), "INVALID_ARG", "missing 'cmd'");
            assertError(c.send("{\"cmd\":\"explode\"}\n"), "INVALID_ARG", "unknown command 'explode'");
            assertError(c.send("{\"cmd\":\"acquire\",\"resources\":[]}\n"), "OPERATION_INVALID", "needs a 'register' first");
            assertError(c.send("{\"cmd\":\"register\",\"owner\":{\"uuid\":\"nope\",\"name\":\"x\",\"pid\":1}}\n"),
                    "INVALID_ARG", "owner 'uuid' is not a UUID");
            assertError(c.send("{\"cmd\":\"register\",\"owner\":{\"uuid\":\"" + java.util.UUID.randomUUID()
                    + "\",\"name\":\"x\",\"pid\":" + deadPid() + "}}\n"), "OPERATION_INVALID", "is not registered and its process is not running");
            assertError(c.send("{\"cmd\":\"register\",\"restrict\":true,\"owner\":{\"uuid\":\"" + java.util.UUID.randomUUID()
                    + "\",\"name\":\"x\",\"pid\":1}}\n"), "OPERATION_DENIED", "is not the process that connected");
            assertTrue(c.send("{\"cmd\":\"ping\"}\n").path("ok").asBoolean());
        }
        assertServing();
    }

    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return p.pid();
    }

    @Test
    void restrictedConnectionAcceptsNoCommands() throws Exception {
        try (Raw c = new Raw()) {
            String owner = "{\"uuid\":\"" + java.util.UUID.randomUUID() + "\",\"name\":\"self\",\"id\":3,\"pid\":"
                    + ProcessHandle.current().pid() + ",\"uri\":\"qemu:///system\"}";
            assertTrue(c.send("{\"cmd\":\"register\",\"restrict\":true,\"owner\":" + owner + "}\n").path("ok").asBoolean());
            assertError(c.send("{\"cmd\":\"list\"}\n"), "OPERATION_DENIED", "is restricted");
            assertError(c.send("{\"cmd\":\"handover\"}\n"), "OPERATION_DENIED", "is restricted");
        }
        assertServing();
    }

    @Test
    void oversizedMessageEndsOnlyThatConnection() throws Exception {
        try (Raw c = new Raw()) {
            byte[] big = new byte[Protocol.MAX_LINE + 10];
            java.util.Arrays.fill(big, (byte) 'a');
            c.out.write(big);
            c.out.flush();
            JsonNode r = Protocol.JSON.readTree(c.in.readLine());
            assertError(r, "INVALID_ARG", "message too long");
            assertNull(c.in.readLine(), "connection closed after an oversized message");
        }
        assertServing();
    }

    @Test
    void truncatedMessagesAndAbruptClosesAreHarmless() throws Exception {
        for (int i = 0; i < 5; i++) {
            try (Raw c = new Raw()) {
                c.out.write("{\"cmd\":\"reg".getBytes(StandardCharsets.UTF_8));
                c.out.flush();
            }
        }
        assertServing();
    }

    @Test
    void clientOfAnotherUidIsRefused() throws Exception {
        // mode 0600 keeps other users out at connect time
        String refusedAtConnect = asNobody();
        assertTrue(refusedAtConnect.contains("Permission denied") || refusedAtConnect.contains("PermissionError"), refusedAtConnect);
        // and with the mode opened up, the peer-credential check still refuses them
        Files.setPosixFilePermissions(daemon.socket(), PosixFilePermissions.fromString("rw-rw-rw-"));
        try {
            String reply = asNobody();
            assertTrue(reply.contains("\"code\":\"OPERATION_DENIED\"") && reply.contains("permission denied: uid 65534"), reply);
        } finally {
            Files.setPosixFilePermissions(daemon.socket(), PosixFilePermissions.fromString("rw-------"));
        }
        assertServing();
    }

    private static String asNobody() throws Exception {
        String py = """
                import socket, sys
                try:
                    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
                    try:
                        s.sendall(b'{"cmd":"list"}\\n')
                    except BrokenPipeError:
                        pass  # refused before the request went out: the refusal is still readable
                    print(s.makefile().readline().strip())
                except OSError as e:
                    print(type(e).__name__, e)
                """;
        Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "/usr/bin/python3", "-c", py, daemon.socket().toString()).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            return out;
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void listSubcommandPrintsLocksAndOwners() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        assertEquals(0, LockdMain.run(new String[] {"--socket", daemon.socket().toString(), "--list"}, ps, ps));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("MODE") && out.contains("OWNER UUID"), out);
        buf.reset();
        assertEquals(1, LockdMain.run(new String[] {"--socket", dir.resolve("nosuch.sock").toString(), "--list"}, ps, ps));
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("jvirt-lockd is not running"), buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void secondDaemonOnTheSameSocketRefusesToStart() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        assertEquals(1, LockdMain.run(new String[] {"--socket", daemon.socket().toString()}, ps, ps));
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("another jvirt-lockd is already serving"), buf.toString(StandardCharsets.UTF_8));
        assertServing();
    }
}

package io.jvirt.driver.qemu.testutil;

import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A unix socket server that plays QEMU's side of QMP following a script, for fault tests.
 */
public final class FakeQmpPeer implements AutoCloseable {
    /** What the peer does with one connection. */
    @FunctionalInterface
    public interface Script {
        void run(BufferedReader in, OutputStream out) throws Exception;
    }

    public static final String GREETING = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "
            + "\"package\": \"fake\"}, \"capabilities\": [\"oob\"]}}\r\n";

    private final AFUNIXServerSocket server;
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile AFUNIXSocket conn;

    private FakeQmpPeer(Path path, Script script) throws IOException {
        server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(path));
        thread = Thread.ofPlatform().daemon().name("fake-qmp").start(() -> {
            try (AFUNIXSocket s = server.accept()) {
                conn = s;
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                script.run(in, s.getOutputStream());
            } catch (Throwable t) {
                failure.set(t);
            }
        });
    }

    /** Binds {@code path} and runs {@code script} on the first connection. */
    public static FakeQmpPeer start(Path path, Script script) throws IOException {
        return new FakeQmpPeer(path, script);
    }

    /** Sends the greeting and answers qmp_capabilities. */
    public static void handshake(BufferedReader in, OutputStream out) throws IOException {
        send(out, GREETING);
        String cmd = in.readLine();
        send(out, reply(cmd, "{}"));
    }

    /**
     * The reply to the command line {@code cmd}: {@code {"return": RET}} with the command's id, or
     * without one when the command had none (as QEMU answers).
     */
    public static String reply(String cmd, String ret) {
        int i = cmd.indexOf("\"id\":");
        if (i < 0) {
            return "{\"return\": " + ret + "}\r\n";
        }
        int start = i + 5;
        int end = start;
        while (end < cmd.length() && cmd.charAt(end) != ',' && cmd.charAt(end) != '}') {
            end++;
        }
        return "{\"return\": " + ret + ", \"id\": " + cmd.substring(start, end).trim() + "}\r\n";
    }

    public static void send(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** The script's exception, if any. */
    public Throwable failure() {
        return failure.get();
    }

    public void join(long millis) throws InterruptedException {
        thread.join(millis);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        AFUNIXSocket c = conn;
        if (c != null) {
            c.close();
        }
        server.close();
        thread.interrupt();
        thread.join(5000);
    }
}

package io.jvirt.driver.qemu.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A stand-in for qemu-ga on a unix socket, for the protocol's failure cases: each received line
 * (0xFF bytes stripped) goes to a {@link Behaviour} that writes whatever it likes back.
 */
final class FakeAgent implements AutoCloseable {
    /** What the fake does with one request line. */
    interface Behaviour {
        void onLine(String line, OutputStream out, FakeAgent agent) throws IOException;
    }

    private static final Pattern SYNC_ID = Pattern.compile("\"guest-sync-delimited\".*\"id\":(\\d+)");

    final Path path;
    final List<String> received = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();
    private final AFUNIXServerSocket server;
    private final List<AFUNIXSocket> clients = new CopyOnWriteArrayList<>();
    private volatile Behaviour behaviour;

    FakeAgent(Path path, Behaviour behaviour) throws IOException {
        this.path = path;
        this.behaviour = behaviour;
        this.server = AFUNIXServerSocket.newInstance();
        server.bind(AFUNIXSocketAddress.of(path));
        Thread.ofPlatform().daemon().name("fake-agent").start(this::acceptLoop);
    }

    void behaviour(Behaviour b) {
        this.behaviour = b;
    }

    private void acceptLoop() {
        try {
            while (!server.isClosed()) {
                AFUNIXSocket s = server.accept();
                connections.incrementAndGet();
                clients.add(s);
                Thread.ofPlatform().daemon().start(() -> serve(s));
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void serve(AFUNIXSocket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                if (b == 0xFF) {
                    continue;
                }
                if (b == '\n') {
                    String l = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    received.add(l);
                    behaviour.onLine(l, out, this);
                    out.flush();
                } else {
                    line.write(b);
                }
            }
        } catch (IOException e) {
            // client went away
        }
    }

    /** Closes every accepted connection (as QEMU does when it exits). */
    void dropClients() throws IOException {
        for (AFUNIXSocket s : clients) {
            s.close();
        }
    }

    /** The id of a guest-sync-delimited line, or -1. */
    static long syncId(String line) {
        Matcher m = SYNC_ID.matcher(line);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Answers like qemu-ga: sync with sentinel + id, everything else with {@code reply}. */
    static Behaviour answering(String reply) {
        return (line, out, agent) -> {
            long id = syncId(line);
            if (id >= 0) {
                out.write(0xFF);
                write(out, "{\"return\": " + id + "}\n");
            } else {
                write(out, reply + "\n");
            }
        };
    }

    @Override
    public void close() throws IOException {
        server.close();
        dropClients();
    }
}

package io.jvirt.bench.qemu;

import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The baseline: a bare QMP client (connect with retry, one blocking line per command, no ids, no parsing). */
final class RawQmp implements AutoCloseable {
    private final AFUNIXSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buf = new byte[64 * 1024];
    private int pos;
    private int end;

    private RawQmp(AFUNIXSocket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects (retrying every 0.5 ms until {@code timeoutNanos}), reads the greeting, negotiates. */
    static RawQmp connect(Path path, long timeoutNanos) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            try {
                RawQmp q = new RawQmp(AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(path)));
                q.readLine();
                q.command("{\"execute\":\"qmp_capabilities\"}");
                return q;
            } catch (SocketException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(0, 500_000);
            }
        }
    }

    /** Sends one command and reads lines until a non-event line (the reply). */
    String command(String json) throws IOException {
        out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        while (true) {
            String line = readLine();
            if (!line.startsWith("{\"timestamp\"") && !line.contains("\"event\"")) {
                return line;
            }
        }
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos == end) {
                end = in.read(buf);
                pos = 0;
                if (end < 0) {
                    throw new IOException("EOF");
                }
            }
            for (int i = pos; i < end; i++) {
                if (buf[i] == '\n') {
                    sb.append(new String(buf, pos, i - pos, StandardCharsets.UTF_8));
                    pos = i + 1;
                    return sb.toString();
                }
            }
            sb.append(new String(buf, pos, end - pos, StandardCharsets.UTF_8));
            pos = end;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

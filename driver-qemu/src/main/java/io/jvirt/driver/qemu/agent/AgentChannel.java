package io.jvirt.driver.qemu.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * One connection to the agent's unix socket: a reader on a virtual thread that cuts the byte
 * stream into {@link Frame}s (a 0xFF sentinel byte, a line, the end of the stream) and queues
 * them for the one command in flight. Hooks from the driver put their own frames into the same
 * queue, so a waiting command sees them in order.
 *
 * <p>The reader and the bounded writes run on platform threads: junixsocket's blocking native
 * reads and writes pin a virtual thread's carrier, and a few stuck agents would starve the rest.
 */
final class AgentChannel implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AgentChannel.class.getName());
    /** The byte qemu-ga puts before the reply to guest-sync-delimited, and clients send to reset its parser. */
    static final int SENTINEL = 0xFF;
    /** Lines longer than this are cut (a reply that long is garbage; guards memory against a hostile guest). */
    static final int MAX_LINE = 8 * 1024 * 1024;
    /** At most this many bytes of unread lines are queued; older ones are dropped (they are stale). */
    static final long MAX_QUEUED_BYTES = 2L * MAX_LINE;

    /** What the reader (or a hook) hands to the waiting command. */
    sealed interface Frame {
    }

    /** A 0xFF byte: whatever partial line came before it was dropped. */
    record Sentinel() implements Frame {
    }

    /** One line of the stream, without its newline. */
    record Line(byte[] bytes) implements Frame {
    }

    /** The stream ended (QEMU closed the socket or reading failed). */
    record Eof(String why) implements Frame {
    }

    /** The guest closed its end of the channel, or shut down or reset (from the driver's events). */
    record GuestGone(String why) implements Frame {
    }

    private final AFUNIXSocket socket;
    private final OutputStream out;
    private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicLong queuedBytes = new java.util.concurrent.atomic.AtomicLong();
    private final Path path;
    private volatile boolean eof;

    private AgentChannel(Path path, AFUNIXSocket socket) throws IOException {
        this.path = path;
        this.socket = socket;
        this.out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        Thread.ofPlatform().daemon().name("agent-reader " + path.getFileName()).start(() -> readLoop(in));
    }

    /** Connects to the agent socket at {@code path}. */
    static AgentChannel connect(Path path) throws IOException {
        AFUNIXSocket socket = AFUNIXSocket.newInstance();
        try {
            socket.connect(AFUNIXSocketAddress.of(path));
            return new AgentChannel(path, socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    private void readLoop(InputStream in) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        String why = "the agent socket was closed";
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                for (int i = 0; i < n; i++) {
                    int b = buf[i] & 0xFF;
                    if (b == SENTINEL) {
                        line.reset();
                        enqueue(new Sentinel());
                    } else if (b == '\n' || line.size() >= MAX_LINE) {
                        enqueue(new Line(line.toByteArray()));
                        line.reset();
                        if (b != '\n') {
                            line.write(b);
                        }
                    } else {
                        line.write(b);
                    }
                }
            }
        } catch (IOException e) {
            if (!closed.get()) {
                why = "reading from the agent socket failed: " + e.getMessage();
                LOG.log(Level.DEBUG, "agent channel {0}: {1}", path, why);
            }
        } finally {
            eof = true;
            frames.add(new Eof(why));
        }
    }

    /** What a queued frame counts against {@link #MAX_QUEUED_BYTES}. */
    private static long cost(Frame f) {
        return f instanceof Line l ? l.bytes().length + 64L : 64L;
    }

    /** Queues a frame from the stream, dropping the oldest unread ones beyond the byte budget. */
    private void enqueue(Frame frame) {
        long c = cost(frame);
        while (queuedBytes.get() + c > MAX_QUEUED_BYTES) {
            if (taken(frames.poll()) == null) {
                break;
            }
        }
        queuedBytes.addAndGet(c);
        frames.add(frame);
    }

    private Frame taken(Frame f) {
        if (f instanceof Line || f instanceof Sentinel) {
            queuedBytes.addAndGet(-cost(f));
        }
        return f;
    }

    /** Next frame, or null when {@code nanos} passed without one. */
    Frame poll(long nanos) throws InterruptedException {
        return taken(frames.poll(Math.max(0, nanos), TimeUnit.NANOSECONDS));
    }

    /** Drops queued frames; returns an end-of-stream or guest-gone frame if one was among them. */
    Frame drain() {
        Frame last = null;
        Frame f;
        while ((f = taken(frames.poll())) != null) {
            if (f instanceof Eof || f instanceof GuestGone) {
                last = f;
            }
        }
        return last;
    }

    /** Hands a frame from a driver hook to the waiting command (if any). */
    void inject(Frame frame) {
        frames.add(frame);
    }

    /** Whether the stream has ended. */
    boolean atEof() {
        return eof || closed.get();
    }

    /**
     * Writes {@code bytes}, waiting at most {@code nanos}: the write runs on a virtual thread so
     * that a peer that stopped reading cannot block the caller; on timeout the socket is closed.
     */
    void write(byte[] bytes, long nanos) throws IOException, TimeoutException, InterruptedException {
        var task = new java.util.concurrent.FutureTask<Void>(() -> {
            synchronized (out) {
                out.write(bytes);
                out.flush();
            }
            return null;
        });
        Thread.ofPlatform().daemon().name("agent-writer " + path.getFileName()).start(task);
        try {
            task.get(Math.max(nanos, TimeUnit.MILLISECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (TimeoutException e) {
            close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                socket.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing agent channel {0}: {1}", path, e.getMessage());
            }
        }
    }
}

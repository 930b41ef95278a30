package io.jvirt.driver.qemu.monitor;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A client of one QEMU's QMP monitor over its unix socket.
 *
 * <p>Commands carry ids and may be pipelined from any number of threads: each one registers a
 * future, is written under a short write lock, and is completed by the single reader thread when
 * the reply with its id arrives. Every command has a timeout. Events go to the {@link QmpListener}
 * on a separate worker, in order. Anything the peer sends that is not QMP (invalid JSON, a message
 * longer than {@link Options#maxMessageBytes()}, a reply with an id nobody asked for, a stream that
 * ends mid-message) is fatal for this monitor: the socket is closed, every pending command fails at
 * once, and the listener's {@link QmpListener#onClosed} runs. So does end of stream (QEMU exited).
 */
public final class QmpMonitor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(QmpMonitor.class.getName());
    private static final ScheduledThreadPoolExecutor TIMER = timer();
    private static final ObjectMapper MAPPER = mapper();
    private static final Object CLOSE_MARK = new Object();
    private static final long SPIN_NANOS = Long.getLong("jvirt.qmp.spinMicros", 0) * 1000;

    /**
     * Tunables.
     *
     * @param connectTimeout  how long {@link #connect} retries until QEMU listens and greets
     * @param commandTimeout  the default per-command timeout
     * @param maxMessageBytes the longest message accepted from QEMU (one line)
     */
    public record Options(Duration connectTimeout, Duration commandTimeout, int maxMessageBytes) {
        /** 10 s to connect, 30 s per command, 32 MiB per message. */
        public static Options defaults() {
            return new Options(Duration.ofSeconds(10), Duration.ofSeconds(30), 32 * 1024 * 1024);
        }

        public Options withCommandTimeout(Duration timeout) {
            return new Options(connectTimeout, timeout, maxMessageBytes);
        }

        public Options withConnectTimeout(Duration timeout) {
            return new Options(timeout, commandTimeout, maxMessageBytes);
        }

        public Options withMaxMessageBytes(int max) {
            return new Options(connectTimeout, commandTimeout, max);
        }
    }

    private record Pending(String command, boolean raw, CompletableFuture<JsonNode> future,
                           ScheduledFuture<?>[] timer) {
    }

    private final Path path;
    private final AFUNIXSocket socket;
    private final OutputStream out;
    private final Options options;
    private final QmpListener listener;
    private final JsonNode greeting;
    private final LineReader lines;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Map<String, Boolean> expired = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 1024;
        }
    };
    private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Throwable closeCause;
    private final Thread reader;
    private final Thread eventWorker;

    private QmpMonitor(Path path, AFUNIXSocket socket, Options options, QmpListener listener) throws IOException {
        this.path = path;
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.options = options;
        this.listener = listener;
        this.lines = new LineReader(socket.getInputStream(), options.maxMessageBytes());
        int len = lines.next();
        if (len < 0) {
            throw new IOException("QEMU monitor closed the connection before its greeting");
        }
        JsonNode msg = parse(lines.buffer(), len);
        if (!msg.isObject() || !msg.has("QMP")) {
            throw new IOException("QEMU monitor sent no QMP greeting: " + abbreviate(msg.toString()));
        }
        this.greeting = msg.get("QMP");
        socket.setSoTimeout(0);
        String name = "qmp-" + path.getFileName();
        this.reader = Thread.ofPlatform().daemon().name(name + "-reader").unstarted(this::readLoop);
        this.eventWorker = Thread.ofVirtual().name(name + "-events").unstarted(this::eventLoop);
    }

    /**
     * Connects to the QMP socket at {@code path}, retrying while it does not exist or refuses
     * connections (QEMU not yet listening) until {@link Options#connectTimeout()}, reads the
     * greeting and negotiates capabilities.
     *
     * @param peerAlive checked between retries; when it turns false the connect fails at once
     *                  (QEMU died during startup)
     * @throws VirtException {@code OPERATION_FAILED} if QEMU does not answer as QMP in time, naming why
     */
    public static QmpMonitor connect(Path path, QmpListener listener, Options options, BooleanSupplier peerAlive) {
        long deadline = System.nanoTime() + options.connectTimeout().toNanos();
        AFUNIXSocket socket = null;
        Exception last = null;
        long sleepMicros = 500;
        while (socket == null) {
            try {
                socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(path));
            } catch (SocketException e) {
                last = e;
            } catch (IOException e) {
                last = e;
            }
            if (socket != null) {
                break;
            }
            if (!peerAlive.getAsBoolean()) {
                throw new VirtException(ErrorCode.OPERATION_FAILED, "QEMU exited before its monitor at " + path
                        + " accepted a connection");
            }
            if (System.nanoTime() >= deadline) {
                throw new VirtException(ErrorCode.OPERATION_FAILED, "QEMU monitor at " + path + " did not accept a "
                        + "connection within " + options.connectTimeout().toMillis() + " ms: " + last.getMessage());
            }
            sleepMicros(sleepMicros);
            sleepMicros = Math.min(sleepMicros * 2, 2_000);
        }
        QmpMonitor mon;
        try {
            long remainingMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, remainingMs));
            mon = new QmpMonitor(path, socket, options, listener);
        } catch (SocketTimeoutException e) {
            closeQuietly(socket);
            throw new VirtException(ErrorCode.OPERATION_FAILED, "QEMU monitor at " + path + " sent no greeting within "
                    + options.connectTimeout().toMillis() + " ms");
        } catch (IOException e) {
            closeQuietly(socket);
            throw new VirtException(ErrorCode.OPERATION_FAILED, "QEMU monitor at " + path + ": " + e.getMessage(), e);
        }
        mon.reader.start();
        mon.eventWorker.start();
        try {
            mon.execute("qmp_capabilities");
        } catch (RuntimeException e) {
            mon.close();
            throw e;
        }
        return mon;
    }

    /** Connects with {@link Options#defaults()} and no liveness check. */
    public static QmpMonitor connect(Path path, QmpListener listener) {
        return connect(path, listener, Options.defaults(), () -> true);
    }

    /** The socket path. */
    public Path path() {
        return path;
    }

    /** The greeting's {@code QMP} member ({@code version}, {@code capabilities}). */
    public JsonNode greeting() {
        return greeting;
    }

    /** Whether the monitor is still usable. */
    public boolean isOpen() {
        return !closed.get();
    }

    /** How many commands are waiting for a reply. */
    public int pendingCount() {
        return pending.size();
    }

    /** Runs {@code command} without arguments with the default timeout; returns its {@code return} member. */
    public JsonNode execute(String command) {
        return execute(command, null, options.commandTimeout());
    }

    /** Runs {@code command} with the default timeout; returns its {@code return} member. */
    public JsonNode execute(String command, JsonNode arguments) {
        return execute(command, arguments, options.commandTimeout());
    }

    /**
     * Runs {@code command} and waits for its reply.
     *
     * @return the reply's {@code return} member
     * @throws QmpError         QEMU answered with an error
     * @throws VirtException    {@code OPERATION_TIMEOUT} without a reply in time; {@code OPERATION_FAILED}
     *                          when the monitor closed or broke
     */
    public JsonNode execute(String command, JsonNode arguments, Duration timeout) {
        return await(send(command, arguments, timeout, false));
    }

    /**
     * Sends {@code command} without waiting.
     *
     * @return a future completed with the {@code return} member, or failed with the same exceptions
     *         {@link #execute(String, JsonNode, Duration)} throws
     */
    public CompletableFuture<JsonNode> executeAsync(String command, JsonNode arguments, Duration timeout) {
        return send(command, arguments, timeout, false);
    }

    /**
     * Passes a complete QMP command through ({@code {"execute": ..., "arguments": ...}}) and returns
     * QEMU's whole reply as JSON text, an {@code error} reply included. For experts
     * ({@code qemu-monitor-command}).
     *
     * @throws VirtException {@code INVALID_ARG} if {@code json} is not a QMP command
     */
    public String passthrough(String json, Duration timeout) {
        JsonNode cmd;
        try {
            cmd = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new VirtException(ErrorCode.INVALID_ARG, "monitor command is not valid JSON: " + e.getOriginalMessage());
        }
        if (cmd == null || !cmd.isObject() || !cmd.path("execute").isTextual()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "monitor command must be a JSON object with an \"execute\" member");
        }
        JsonNode userId = cmd.get("id");
        JsonNode args = cmd.get("arguments");
        JsonNode reply = await(send(cmd.get("execute").asText(), args, timeout, true));
        ObjectNode copy = ((ObjectNode) reply).deepCopy();
        if (userId != null) {
            copy.set("id", userId);
        } else {
            copy.remove("id");
        }
        return copy.toString();
    }

    private CompletableFuture<JsonNode> send(String command, JsonNode arguments, Duration timeout, boolean raw) {
        CompletableFuture<JsonNode> future = new CompletableFuture<>();
        if (closed.get()) {
            future.completeExceptionally(closedError());
            return future;
        }
        String id = "jv-" + ids.incrementAndGet();
        ObjectNode msg = JsonNodeFactory.instance.objectNode();
        msg.put("execute", command);
        if (arguments != null && !arguments.isNull()) {
            msg.set("arguments", arguments);
        }
        msg.put("id", id);
        byte[] bytes;
        try {
            bytes = MAPPER.writeValueAsBytes(msg);
        } catch (JsonProcessingException e) {
            throw new VirtException(ErrorCode.INTERNAL_ERROR, "cannot encode QMP command '" + command + "'", e);
        }
        ScheduledFuture<?>[] timerRef = new ScheduledFuture<?>[1];
        Pending p = new Pending(command, raw, future, timerRef);
        pending.put(id, p);
        timerRef[0] = TIMER.schedule(() -> expire(id, p, timeout), timeout.toNanos(), TimeUnit.NANOSECONDS);
        future.whenComplete((r, e) -> timerRef[0].cancel(false));
        if (closed.get()) { // closed between the check and put: terminate() may have missed us
            if (pending.remove(id, p)) {
                future.completeExceptionally(closedError());
            }
            return future;
        }
        writeLock.lock();
        try {
            out.write(bytes);
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            terminate(new IOException("writing to the QEMU monitor failed: " + e.getMessage(), e));
        } finally {
            writeLock.unlock();
        }
        return future;
    }

    private void expire(String id, Pending p, Duration timeout) {
        if (pending.remove(id, p)) {
            synchronized (expired) {
                expired.put(id, Boolean.TRUE);
            }
            p.future.completeExceptionally(new VirtException(ErrorCode.OPERATION_TIMEOUT, "QEMU monitor at " + path
                    + ": no reply to '" + p.command + "' within " + timeout.toMillis() + " ms"));
        }
    }

    private static JsonNode await(CompletableFuture<JsonNode> future) {
        // optional short spin before parking (jvirt.qmp.spinMicros, default 0: on a busy 2-core host
        // spinning steals the reader's CPU and makes round trips slower, measured)
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (!future.isDone() && System.nanoTime() < spinUntil) {
            Thread.onSpinWait();
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return future.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the command's own timeout bounds this wait
                }
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof QmpError q) {
                throw new QmpError(q.command(), q.errorClass(), q.description(), q);
            }
            if (cause instanceof VirtException v) {
                throw new VirtException(v.code(), v.getMessage(), v);
            }
            throw new VirtException(ErrorCode.INTERNAL_ERROR, "QEMU monitor: " + cause, cause);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- reader ----

    private void readLoop() {
        try {
            while (!closed.get()) {
                int len = lines.next();
                if (len < 0) {
                    terminate(new IOException("QEMU monitor closed the connection (end of stream)"));
                    return;
                }
                JsonNode msg = parse(lines.buffer(), len);
                if (len > 1024 * 1024) {
                    lines.shrink();
                }
                dispatch(msg);
            }
        } catch (IOException | RuntimeException e) {
            terminate(e);
        }
    }

    private void dispatch(JsonNode msg) throws IOException {
        if (!msg.isObject()) {
            throw new IOException("QEMU monitor sent a non-object message: " + abbreviate(msg.toString()));
        }
        JsonNode event = msg.get("event");
        if (event != null) {
            JsonNode ts = msg.path("timestamp");
            Instant when = ts.has("seconds")
                    ? Instant.ofEpochSecond(ts.path("seconds").asLong(), ts.path("microseconds").asLong() * 1000)
                    : Instant.now();
            JsonNode data = msg.has("data") ? msg.get("data") : JsonNodeFactory.instance.objectNode();
            events.add(new QmpEvent(event.asText(), data, when));
            return;
        }
        if (msg.has("QMP")) {
            // QEMU can greet twice when the client connected while it was still starting (the socket
            // accepted before the monitor attached, which then replays "opened"); the session starts
            // afresh in capabilities negotiation, so negotiate again
            LOG.log(System.Logger.Level.DEBUG, "QEMU monitor {0} greeted again; renegotiating", path);
            send("qmp_capabilities", null, options.commandTimeout(), true);
            return;
        }
        boolean ok = msg.has("return");
        if (!ok && !msg.has("error")) {
            throw new IOException("QEMU monitor sent a message that is neither a reply nor an event: "
                    + abbreviate(msg.toString()));
        }
        JsonNode idNode = msg.get("id");
        if (idNode == null || !idNode.isTextual()) {
            throw new IOException("QEMU monitor sent a reply without an id: " + abbreviate(msg.toString()));
        }
        String id = idNode.asText();
        Pending p = pending.remove(id);
        if (p == null) {
            synchronized (expired) {
                if (expired.remove(id) != null) {
                    LOG.log(System.Logger.Level.DEBUG, "late reply to timed-out command {0} ignored", id);
                    return;
                }
            }
            throw new IOException("QEMU monitor sent a reply with an unknown id " + abbreviate(idNode.toString()));
        }
        if (p.raw) {
            p.future.complete(msg);
        } else if (ok) {
            p.future.complete(msg.get("return"));
        } else {
            JsonNode err = msg.get("error");
            p.future.completeExceptionally(new QmpError(p.command, err.path("class").asText("GenericError"),
                    err.path("desc").asText("(no description)"), null));
        }
    }

    private static JsonNode parse(byte[] buf, int len) throws IOException {
        try (JsonParser parser = MAPPER.getFactory().createParser(buf, 0, len)) {
            JsonNode node = MAPPER.readTree(parser);
            if (node == null) {
                throw new IOException("QEMU monitor sent an empty message");
            }
            if (parser.nextToken() != null) {
                throw new IOException("QEMU monitor sent trailing data after a message: "
                        + abbreviate(new String(buf, 0, Math.min(len, 200), java.nio.charset.StandardCharsets.UTF_8)));
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IOException("QEMU monitor sent invalid JSON: " + e.getOriginalMessage()
                    + " in " + abbreviate(new String(buf, 0, Math.min(len, 200), java.nio.charset.StandardCharsets.UTF_8)), e);
        }
    }

    private void eventLoop() {
        while (true) {
            Object item;
            try {
                item = events.take();
            } catch (InterruptedException e) {
                continue; // exits only through CLOSE_MARK, which terminate() always queues
            }
            if (item == CLOSE_MARK) {
                try {
                    listener.onClosed(closeCause);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "QMP close handler failed", e);
                }
                return;
            }
            try {
                listener.onEvent((QmpEvent) item);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "QMP event handler failed for " + ((QmpEvent) item).name(), e);
            }
        }
    }

    // ---- shutdown ----

    private VirtException closedError() {
        Throwable cause = closeCause;
        String why = cause == null ? "monitor closed" : cause.getMessage();
        return new VirtException(ErrorCode.OPERATION_FAILED, "QEMU monitor at " + path + " is gone: " + why, cause);
    }

    private void terminate(Throwable cause) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeCause = cause;
        if (cause != null) {
            LOG.log(System.Logger.Level.DEBUG, "QEMU monitor {0} closed: {1}", path, cause.getMessage());
        }
        closeQuietly(socket);
        VirtException err = closedError();
        List<Pending> failed = new ArrayList<>();
        for (String id : List.copyOf(pending.keySet())) {
            Pending p = pending.remove(id);
            if (p != null) {
                failed.add(p);
            }
        }
        for (Pending p : failed) {
            p.future.completeExceptionally(err);
        }
        events.add(CLOSE_MARK);
    }

    /** Closes the socket; pending commands fail and the listener hears {@code onClosed(null)}. */
    @Override
    public void close() {
        terminate(null);
    }

    // ---- helpers ----

    private static void sleepMicros(long micros) {
        try {
            Thread.sleep(Duration.ofNanos(micros * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VirtException(ErrorCode.OPERATION_FAILED, "interrupted while connecting to the QEMU monitor");
        }
    }

    private static void closeQuietly(AFUNIXSocket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    private static ObjectMapper mapper() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(200)
                        .maxStringLength(64 * 1024 * 1024)
                        .maxNumberLength(100)
                        .build())
                .build();
        return new ObjectMapper(factory);
    }

    /** The shared Jackson mapper (for building arguments and reading replies). */
    public static ObjectMapper json() {
        return MAPPER;
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().daemon().name("qmp-timeouts").factory());
        t.setRemoveOnCancelPolicy(true);
        return t;
    }
}

package io.jvirt.driver.qemu.monitor;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A client of one QEMU's QMP monitor over its unix socket.
 *
 * <p>Commands may be pipelined from any number of threads: each one registers a future and is
 * written under a short write lock. Replies are matched by id. QEMU's monitor reads its socket one
 * byte per main-loop turn (several microseconds a byte), so the bytes of a command are most of a
 * round trip's cost: ids are the smallest free integers, and one command at a time (normally the
 * only one in flight) goes without an id at all. In-band commands are answered in order and
 * without an id exactly when they were sent without one, so the one reply without an id belongs
 * to that command; its slot stays taken after a timeout until the late reply has come and gone. Reading is leader/follower: one thread at a time
 * holds the read lock and reads messages, completing whichever command each reply belongs to. A
 * thread waiting in {@link #execute} takes the read lock itself when it is free and reads until its
 * own reply arrives, so a lone caller gets its reply without a hand-off between threads; callers
 * that find another thread reading park until their reply is delivered or the lock is free. A
 * dedicated reader thread reads only when no caller has been waiting for {@code IDLE} (catching
 * events, replies to {@link #executeAsync}, and end of stream). Every command has a timeout. Events go to the {@link QmpListener}
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
    /** How long the dedicated reader leaves the socket to callers after the last one finished. */
    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** Read timeout slice: how often a blocked reader rechecks deadlines and whether to yield. */
    private static final int READ_SLICE_MS = 200;
    /** Safety net for a parked follower (it is normally unparked when its reply or the lock is free). */
    private static final long FOLLOW_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

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

    /**
     * A command awaiting its reply; {@code id} is {@link #NO_ID} for the one sent without an id;
     * {@code waiter} is the thread in {@link #execute}, or null (async).
     */
    private record Pending(int id, String command, boolean raw, CompletableFuture<JsonNode> future,
                           Thread waiter, long deadline, Duration timeout) {
    }

    private static final int NO_ID = -1;
    /** Holds the id-less slot after its command timed out, until the late reply arrives. */
    private static final Pending EXPIRED_NO_ID = new Pending(NO_ID, "(timed out)", false, new CompletableFuture<>(),
            null, 0, Duration.ZERO);

    private final Path path;
    private final AFUNIXSocket socket;
    private final OutputStream out;
    private final Options options;
    private final QmpListener listener;
    private final JsonNode greeting;
    private final LineReader lines;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Held by whoever reads from the socket (a caller leading, or the reader thread). */
    private final ReentrantLock readLock = new ReentrantLock();
    /** Callers inside {@link #execute} waiting for a reply. */
    private final AtomicInteger waiters = new AtomicInteger();
    private volatile long lastCallerExit = System.nanoTime();
    private int soTimeout = -1; // guarded by readLock
    /** Ids in use: by a pending command, or by a timed-out one whose late reply has not come. Guarded by itself. */
    private final BitSet usedIds = new BitSet();
    /** Ids of timed-out commands whose late reply is still due. Guarded by {@link #usedIds}. */
    private final BitSet expiredIds = new BitSet();
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    /** The command in flight without an id, {@link #EXPIRED_NO_ID}, or null when the slot is free. */
    private final AtomicReference<Pending> noIdSlot = new AtomicReference<>();
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
        // a client that connects while QEMU is still starting may see its first events (e.g. RESUME)
        // before the greeting; they predate the session, and the driver reconciles state with
        // query-status anyway, so they are skipped (a bounded number of them)
        for (int skipped = 0; msg.isObject() && msg.has("event") && !msg.has("QMP") && skipped < 64; skipped++) {
            LOG.log(System.Logger.Level.DEBUG, "QMP event before the greeting on {0} skipped: {1}", path,
                    abbreviate(msg.toString()));
            len = lines.next();
            if (len < 0) {
                throw new IOException("QEMU monitor closed the connection before its greeting");
            }
            msg = parse(lines.buffer(), len);
        }
        if (!msg.isObject() || !msg.has("QMP")) {
            throw new IOException("QEMU monitor sent no QMP greeting: " + abbreviate(msg.toString()));
        }
        this.greeting = msg.get("QMP");
        socket.setSoTimeout(READ_SLICE_MS);
        this.soTimeout = READ_SLICE_MS;
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
        Pending bare = noIdSlot.get();
        return pending.size() + (bare != null && bare != EXPIRED_NO_ID ? 1 : 0);
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
        return call(command, arguments, timeout, false);
    }

    /**
     * Runs {@code command} passing {@code fd} along with it (SCM_RIGHTS), as QMP {@code getfd} and
     * {@code add-fd} expect; waits for the reply like {@link #execute(String, JsonNode, Duration)}.
     */
    public JsonNode executeWithFd(String command, JsonNode arguments, FileDescriptor fd, Duration timeout) {
        return call(command, arguments, timeout, false, fd);
    }

    /**
     * Sends {@code command} without waiting.
     *
     * @return a future completed with the {@code return} member, or failed with the same exceptions
     *         {@link #execute(String, JsonNode, Duration)} throws
     */
    public CompletableFuture<JsonNode> executeAsync(String command, JsonNode arguments, Duration timeout) {
        return PlatformIo.run(() -> send(command, arguments, timeout, false, null), timeout.plusSeconds(5)).future;
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
        JsonNode reply = call(cmd.get("execute").asText(), args, timeout, true);
        ObjectNode copy = ((ObjectNode) reply).deepCopy();
        if (userId != null) {
            copy.set("id", userId);
        } else {
            copy.remove("id");
        }
        return copy.toString();
    }

    private Pending send(String command, JsonNode arguments, Duration timeout, boolean raw, Thread waiter) {
        return send(command, arguments, timeout, raw, waiter, null);
    }

    private Pending send(String command, JsonNode arguments, Duration timeout, boolean raw, Thread waiter,
                         FileDescriptor fd) {
        CompletableFuture<JsonNode> future = new CompletableFuture<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        if (closed.get()) {
            future.completeExceptionally(closedError());
            return new Pending(NO_ID, command, raw, future, waiter, deadline, timeout);
        }
        Pending p = new Pending(NO_ID, command, raw, future, waiter, deadline, timeout);
        if (!noIdSlot.compareAndSet(null, p)) {
            p = new Pending(allocateId(), command, raw, future, waiter, deadline, timeout);
            pending.put(p.id, p);
        }
        byte[] bytes = encode(command, arguments, p.id);
        if (waiter == null) {
            // nobody waits in call(), which enforces the deadline itself: a timer does
            Pending timed = p;
            ScheduledFuture<?> t = TIMER.schedule(() -> expire(timed), timeout.toNanos(), TimeUnit.NANOSECONDS);
            future.whenComplete((r, e) -> t.cancel(false));
        }
        if (closed.get()) { // closed between the check and registering: terminate() may have missed us
            if (unregister(p)) {
                future.completeExceptionally(closedError());
            }
            return p;
        }
        writeLock.lock();
        try {
            if (fd != null) {
                socket.setOutboundFileDescriptors(fd); // sent with the next write
            }
            out.write(bytes); // one write: the line end is part of it
        } catch (IOException e) {
            terminate(new IOException("writing to the QEMU monitor failed: " + e.getMessage(), e));
        } finally {
            if (fd != null) {
                try {
                    socket.setOutboundFileDescriptors((FileDescriptor[]) null);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.DEBUG, "cannot clear outbound descriptors: " + e.getMessage());
                }
            }
            writeLock.unlock();
        }
        return p;
    }

    /** The command as one line, line end included, written straight by a generator (no tree). */
    private static byte[] encode(String command, JsonNode arguments, int id) {
        try (ByteArrayBuilder buf = new ByteArrayBuilder(128)) {
            try (JsonGenerator g = MAPPER.getFactory().createGenerator(buf)) {
                g.writeStartObject();
                g.writeStringField("execute", command);
                if (arguments != null && !arguments.isNull()) {
                    g.writeFieldName("arguments");
                    MAPPER.writeTree(g, arguments);
                }
                if (id != NO_ID) {
                    g.writeNumberField("id", id);
                }
                g.writeEndObject();
            }
            buf.write('\n');
            return buf.toByteArray();
        } catch (IOException e) {
            throw new VirtException(ErrorCode.INTERNAL_ERROR, "cannot encode QMP command '" + command + "'", e);
        }
    }

    private void expire(Pending p) {
        boolean expiredNow;
        if (p.id == NO_ID) {
            expiredNow = noIdSlot.compareAndSet(p, EXPIRED_NO_ID); // the late reply will still come without an id
        } else {
            expiredNow = pending.remove(p.id, p);
            if (expiredNow) {
                synchronized (usedIds) {
                    expiredIds.set(p.id); // stays used until its late reply arrives
                }
            }
        }
        if (expiredNow) {
            p.future.completeExceptionally(new VirtException(ErrorCode.OPERATION_TIMEOUT, "QEMU monitor at " + path
                    + ": no reply to '" + p.command + "' within " + p.timeout.toMillis() + " ms"));
        }
    }

    /** Sends and waits, reading the socket itself while no other thread does (leader/follower). */
    private JsonNode call(String command, JsonNode arguments, Duration timeout, boolean raw) {
        return call(command, arguments, timeout, raw, null);
    }

    private JsonNode call(String command, JsonNode arguments, Duration timeout, boolean raw, FileDescriptor fd) {
        // socket I/O stays on platform threads (see PlatformIo); the call bounds itself by its deadline
        return PlatformIo.run(() -> callHere(command, arguments, timeout, raw, fd), timeout.plusSeconds(5));
    }

    private JsonNode callHere(String command, JsonNode arguments, Duration timeout, boolean raw, FileDescriptor fd) {
        Thread me = Thread.currentThread();
        boolean interrupted = false;
        waiters.incrementAndGet();
        try {
            Pending p = send(command, arguments, timeout, raw, me, fd);
            while (!p.future.isDone()) {
                if (Thread.interrupted()) {
                    interrupted = true; // the command's own timeout bounds this wait
                }
                long left = p.deadline - System.nanoTime();
                if (left <= 0) {
                    expire(p);
                    continue; // done now, or completed by someone else meanwhile
                }
                if (readLock.tryLock()) {
                    try {
                        lead(p);
                    } finally {
                        readLock.unlock();
                    }
                    promote(me);
                } else {
                    LockSupport.parkNanos(this, Math.min(left, FOLLOW_PARK_NANOS));
                }
            }
            return await(p.future);
        } finally {
            waiters.decrementAndGet();
            lastCallerExit = System.nanoTime();
            if (interrupted) {
                me.interrupt();
            }
        }
    }

    /** The smallest id not in use. */
    private int allocateId() {
        synchronized (usedIds) {
            int id = usedIds.nextClearBit(0);
            usedIds.set(id);
            return id;
        }
    }

    private void releaseId(int id) {
        synchronized (usedIds) {
            usedIds.clear(id);
            expiredIds.clear(id);
        }
    }

    /** Takes {@code p} out of the pending set; false if a reply, timeout or close took it first. */
    private boolean unregister(Pending p) {
        if (p.id == NO_ID) {
            return noIdSlot.compareAndSet(p, null);
        }
        if (pending.remove(p.id, p)) {
            releaseId(p.id);
            return true;
        }
        return false;
    }

    /** Reads messages (holding the read lock) until {@code mine} is done or its deadline passes. */
    private void lead(Pending mine) {
        try {
            while (!mine.future.isDone() && !closed.get()) {
                long left = mine.deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                setReadTimeout((int) Math.max(1, Math.min(READ_SLICE_MS, TimeUnit.NANOSECONDS.toMillis(left) + 1)));
                if (!readOne()) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            terminate(e);
        }
    }

    /** Reads and dispatches one message; false at end of stream. A read timeout reads nothing. */
    private boolean readOne() throws IOException {
        int len;
        try {
            len = lines.next();
        } catch (SocketTimeoutException e) {
            return true;
        }
        if (len < 0) {
            terminate(new IOException("QEMU monitor closed the connection (end of stream)"));
            return false;
        }
        JsonNode msg = parse(lines.buffer(), len);
        if (len > 1024 * 1024) {
            lines.shrink();
        }
        dispatch(msg);
        return true;
    }

    private void setReadTimeout(int ms) throws IOException {
        if (ms != soTimeout) {
            socket.setSoTimeout(ms);
            soTimeout = ms;
        }
    }

    /** After releasing the read lock: wakes the callers still waiting so one of them takes it. */
    private void promote(Thread me) {
        if (waiters.get() <= (Thread.currentThread() == reader ? 0 : 1)) {
            return;
        }
        for (Pending p : pending.values()) {
            if (p.waiter != null && p.waiter != me && !p.future.isDone()) {
                LockSupport.unpark(p.waiter);
            }
        }
        Pending bare = noIdSlot.get();
        if (bare != null && bare.waiter != null && bare.waiter != me && !bare.future.isDone()) {
            LockSupport.unpark(bare.waiter);
        }
    }

    private static JsonNode await(CompletableFuture<JsonNode> future) {
        try {
            return future.getNow(null);
        } catch (java.util.concurrent.CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof QmpError q) {
                throw new QmpError(q.command(), q.errorClass(), q.description(), q);
            }
            if (cause instanceof VirtException v) {
                throw new VirtException(v.code(), v.getMessage(), v);
            }
            throw new VirtException(ErrorCode.INTERNAL_ERROR, "QEMU monitor: " + cause, cause);
        }
    }

    // ---- reader ----

    /**
     * The dedicated reader: reads while no caller waits (events, async replies, end of stream);
     * leaves the socket to callers while any waits or did within {@link #IDLE_NANOS}.
     */
    private void readLoop() {
        try {
            while (!closed.get()) {
                if (!idle() || !readLock.tryLock()) {
                    LockSupport.parkNanos(this, IDLE_NANOS);
                    continue;
                }
                try {
                    setReadTimeout(READ_SLICE_MS);
                    while (!closed.get() && idle()) {
                        if (!readOne()) {
                            return;
                        }
                    }
                } finally {
                    readLock.unlock();
                }
                promote(null);
            }
        } catch (IOException | RuntimeException e) {
            terminate(e);
        }
    }

    /** No caller waits, and none did within {@link #IDLE_NANOS}: the reader thread may read. */
    private boolean idle() {
        return waiters.get() == 0 && System.nanoTime() - lastCallerExit >= IDLE_NANOS;
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
            send("qmp_capabilities", null, options.commandTimeout(), true, null);
            return;
        }
        boolean ok = msg.has("return");
        if (!ok && !msg.has("error")) {
            throw new IOException("QEMU monitor sent a message that is neither a reply nor an event: "
                    + abbreviate(msg.toString()));
        }
        JsonNode idNode = msg.get("id");
        Pending p;
        if (idNode == null) {
            p = noIdSlot.get();
            if (p == null) {
                throw new IOException("QEMU monitor sent a reply without an id while no command without one was "
                        + "waiting: " + abbreviate(msg.toString()));
            }
            noIdSlot.set(null); // only this thread (the reader holding the read lock) frees a taken slot
            if (p == EXPIRED_NO_ID) {
                LOG.log(System.Logger.Level.DEBUG, "late reply to a timed-out command ignored");
                return;
            }
        } else {
            int id = idNode.isIntegralNumber() && idNode.canConvertToInt() ? idNode.intValue() : NO_ID;
            p = id < 0 ? null : pending.remove(id);
            if (p == null) {
                boolean late;
                synchronized (usedIds) {
                    late = id >= 0 && expiredIds.get(id);
                }
                if (late) {
                    releaseId(id);
                    LOG.log(System.Logger.Level.DEBUG, "late reply to timed-out command {0} ignored", id);
                    return;
                }
                throw new IOException("QEMU monitor sent a reply with an unknown id " + abbreviate(idNode.toString()));
            }
            releaseId(id);
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
        if (p.waiter != null && p.waiter != Thread.currentThread()) {
            LockSupport.unpark(p.waiter);
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
        for (Integer id : List.copyOf(pending.keySet())) {
            Pending p = pending.remove(id);
            if (p != null) {
                failed.add(p);
            }
        }
        Pending bare = noIdSlot.getAndSet(null);
        if (bare != null && bare != EXPIRED_NO_ID) {
            failed.add(bare);
        }
        for (Pending p : failed) {
            p.future.completeExceptionally(err);
            if (p.waiter != null) {
                LockSupport.unpark(p.waiter);
            }
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

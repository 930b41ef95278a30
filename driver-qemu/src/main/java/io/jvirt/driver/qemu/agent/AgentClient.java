package io.jvirt.driver.qemu.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client of QEMU's guest agent (qemu-ga) over the unix socket of the domain's
 * {@code org.qemu.guest_agent.0} channel.
 *
 * <p>The protocol is JSON, one object per line. Before every command the client sends a 0xFF byte
 * (so the agent drops any half-read input) and {@code guest-sync-delimited} with a random id; the
 * agent answers with a 0xFF sentinel followed by {@code {"return": id}}. Everything before the
 * sentinel and every sync reply with another id is stale (left over from a command that timed
 * out) and is discarded. Then the command is sent and its one reply read.
 *
 * <p>Failures: an agent that is not connected, silent, or gone fails with
 * {@link ErrorCode#AGENT_UNRESPONSIVE}; an error reply with {@link AgentCommandException}
 * ({@link ErrorCode#OPERATION_FAILED}); a reply that is not JSON fails with
 * {@code OPERATION_FAILED} and resets the connection. Every wait is bounded by the command's
 * {@link AgentTimeout}.
 *
 * <p>The agent serves one client at a time: the driver holds the only {@code AgentClient} for a
 * domain, and commands on it run one after another (a second caller waits at most its timeout).
 * The driver feeds the guest side's state in through {@link #onPortOpened()},
 * {@link #onPortClosed()} and {@link #onGuestShutdown(boolean)}; no lock is held while talking to
 * the agent.
 */
public final class AgentClient implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AgentClient.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the client knows about the guest end of the channel. */
    public enum PortState {
        /** Nothing heard yet: commands are tried. */
        UNKNOWN,
        /** The agent opened its port. */
        OPEN,
        /** The agent closed its port (stopped, or the guest shut down): commands fail at once. */
        CLOSED
    }

    private final Path socketPath;
    private final Duration syncTimeout;
    private final Semaphore inFlight = new Semaphore(1, true);
    private final List<AgentStateListener> listeners = new CopyOnWriteArrayList<>();
    private volatile AgentChannel channel;
    private volatile PortState portState = PortState.UNKNOWN;
    private volatile boolean closed;
    private volatile String current;
    private volatile Instant currentSince;

    /**
     * A client of the agent socket at {@code socketPath}; it connects on first use.
     *
     * @param socketPath  the unix socket of the agent channel (QEMU listens on it)
     * @param syncTimeout how long guest-sync-delimited may take (libvirt uses 5 s)
     */
    public AgentClient(Path socketPath, Duration syncTimeout) {
        this.socketPath = Objects.requireNonNull(socketPath, "socketPath");
        this.syncTimeout = Objects.requireNonNull(syncTimeout, "syncTimeout");
        if (syncTimeout.isNegative() || syncTimeout.isZero()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "agent sync timeout must be positive: " + syncTimeout);
        }
    }

    /** A client with the default sync timeout ({@value AgentTimeout#DEFAULT_SECONDS} s). */
    public AgentClient(Path socketPath) {
        this(socketPath, AgentTimeout.DEFAULT.duration());
    }

    /** The agent socket this client talks to. */
    public Path socketPath() {
        return socketPath;
    }

    /** What is known about the guest end of the channel. */
    public PortState portState() {
        return portState;
    }

    /** Registers a listener told when the agent connects or goes away. */
    public void addListener(AgentStateListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** The agent opened its port in the guest (VSERPORT_CHANGE open=true). */
    public void onPortOpened() {
        changeState(PortState.OPEN, "port opened");
    }

    /** The agent closed its port in the guest (VSERPORT_CHANGE open=false): a waiting command fails at once. */
    public void onPortClosed() {
        changeState(PortState.CLOSED, "port closed");
        AgentChannel ch = channel;
        if (ch != null) {
            ch.inject(new AgentChannel.GuestGone("the guest agent closed its channel"));
        }
    }

    /**
     * The guest shut down or reset (the monitor's SHUTDOWN or RESET event). A waiting
     * guest-shutdown completes; any other waiting command fails with AGENT_UNRESPONSIVE.
     *
     * @param reset whether the guest reset (reboot) rather than shut down
     */
    public void onGuestShutdown(boolean reset) {
        AgentChannel ch = channel;
        if (ch != null) {
            ch.inject(new AgentChannel.GuestGone(reset ? "the guest reset" : "the guest shut down"));
        }
    }

    private void changeState(PortState state, String reason) {
        PortState old = portState;
        portState = state;
        if (old != state) {
            LOG.log(Level.DEBUG, "guest agent {0}: {1}", socketPath, reason);
            for (AgentStateListener l : listeners) {
                try {
                    l.agentStateChanged(state == PortState.OPEN, reason);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "agent state listener failed", e);
                }
            }
        }
    }

    /**
     * Runs {@code command} with {@code arguments} (may be null) and returns the agent's
     * {@code return} value, or null with {@link AgentTimeout#NOWAIT}.
     */
    public JsonNode execute(String command, JsonNode arguments, AgentTimeout timeout) {
        ObjectNode request = request(command, arguments);
        return run(command, request, timeout, false);
    }

    /**
     * Runs a command after which the agent goes away instead of answering (guest-shutdown): success
     * is the agent closing its port, the guest shutting down or resetting, QEMU closing the
     * socket, or an empty reply; an error reply fails.
     */
    public void executeUntilGuestGone(String command, JsonNode arguments, AgentTimeout timeout) {
        run(command, request(command, arguments), timeout, true);
    }

    /**
     * Sends a raw command (a JSON object with {@code execute}) and returns the agent's whole reply,
     * {@code {"return": ...}}, as compact JSON; with {@link AgentTimeout#NOWAIT} returns null.
     * An error reply throws {@link AgentCommandException}.
     */
    public String passthrough(String json, AgentTimeout timeout) {
        JsonNode node;
        try {
            node = JSON.readTree(Objects.requireNonNull(json, "json"));
        } catch (JsonProcessingException e) {
            throw new VirtException(ErrorCode.INVALID_ARG, "agent command is not valid JSON: "
                    + e.getOriginalMessage());
        }
        if (node == null || !node.isObject() || !node.path("execute").isTextual()) {
            throw new VirtException(ErrorCode.INVALID_ARG,
                    "agent command must be a JSON object with a string \"execute\" member: " + abbreviate(json));
        }
        String name = node.get("execute").asText();
        JsonNode ret = run(name, (ObjectNode) node, timeout, false);
        if (ret == null) {
            return null;
        }
        ObjectNode reply = JSON.createObjectNode();
        reply.set("return", ret);
        return reply.toString();
    }

    private static ObjectNode request(String command, JsonNode arguments) {
        Objects.requireNonNull(command, "command");
        ObjectNode request = JSON.createObjectNode();
        request.put("execute", command);
        if (arguments != null && !arguments.isNull()) {
            if (!arguments.isObject()) {
                throw new VirtException(ErrorCode.INVALID_ARG, "arguments of agent command '" + command
                        + "' must be a JSON object");
            }
            request.set("arguments", arguments);
        }
        return request;
    }

    private JsonNode run(String name, ObjectNode request, AgentTimeout timeout, boolean untilGone) {
        Objects.requireNonNull(timeout, "timeout");
        if (closed) {
            throw new VirtException(ErrorCode.AGENT_UNRESPONSIVE, "guest agent client is closed");
        }
        if (portState == PortState.CLOSED) {
            throw new VirtException(ErrorCode.AGENT_UNRESPONSIVE, "guest agent is not connected");
        }
        long waitNanos = syncTimeout.toNanos() + Math.max(timeout.duration().toNanos(), 0);
        try {
            if (!inFlight.tryAcquire(waitNanos, TimeUnit.NANOSECONDS)) {
                throw new VirtException(ErrorCode.OPERATION_TIMEOUT, "cannot run guest agent command '" + name
                        + "': command '" + current + "' has been running since " + currentSince);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VirtException(ErrorCode.OPERATION_ABORTED, "interrupted waiting to run guest agent command '"
                    + name + "'");
        }
        current = name;
        currentSince = Instant.now();
        try {
            AgentChannel ch = channel();
            sync(ch, name, timeout);
            send(ch, name, request, timeout);
            if (timeout.noWait()) {
                LOG.log(Level.DEBUG, "guest agent {0}: sent {1} without waiting", socketPath, name);
                return null;
            }
            return awaitReply(ch, name, timeout, untilGone);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VirtException(ErrorCode.OPERATION_ABORTED, "interrupted during guest agent command '"
                    + name + "'");
        } finally {
            current = null;
            inFlight.release();
        }
    }

    private AgentChannel channel() {
        AgentChannel ch = channel;
        if (ch != null && !ch.atEof()) {
            return ch;
        }
        if (ch != null) {
            ch.close();
        }
        try {
            ch = AgentChannel.connect(socketPath);
        } catch (IOException e) {
            throw new VirtException(ErrorCode.AGENT_UNRESPONSIVE, "cannot connect to the guest agent socket "
                    + socketPath + ": " + e.getMessage(), e);
        }
        channel = ch;
        if (closed) {
            ch.close();
            throw new VirtException(ErrorCode.AGENT_UNRESPONSIVE, "guest agent client is closed");
        }
        return ch;
    }

    private void reset(AgentChannel ch) {
        ch.close();
        if (channel == ch) {
            channel = null;
        }
    }

    private void sync(AgentChannel ch, String name, AgentTimeout timeout) throws InterruptedException {
        AgentChannel.Frame gone = ch.drain();
        if (gone instanceof AgentChannel.Eof eof) {
            reset(ch);
            throw new VirtException(ErrorCode.AGENT_UNRESPONSIVE, "guest agent socket closed: " + eof.why());
        }
        Duration limit = syncTimeout;
        if (!timeout.noWait() && timeout.duration().compareTo(limit) < 0) {
            limit = timeout.duration();
        }
        long deadline = System.nanoTime() + limit.toNanos();
        long id = ThreadLocalRandom.current().nextLong(1, 1L << 53);
        byte[] syncLine = ("{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":" + id + "}}\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] msg = new byte[syncLine.length + 1];
        msg[0] = (byte) AgentChannel.SENTINEL;
        System.arraycopy(syncLine, 0, msg, 1, syncLine.length);
        write(ch, name, msg, deadline);
        boolean afterSentinel = false;
        while (true) {
            AgentChannel.Frame f = ch.poll(deadline - System.nanoTime());
            switch (f) {
                case null -> throw new VirtException(ErrorCode.AGENT_UNRESPONSIVE, "guest agent is not responding:"
                        + " no reply to guest-sync-delimited within " + limit.toMillis() + " ms (before '" + name + "')");
                case AgentChannel.Sentinel s -> afterSentinel = true;
                case AgentChannel.Eof eof -> {
                    reset(ch);
                    throw new VirtException(ErrorCode.AGENT_UNRESPONSIVE, "guest agent socket closed: " + eof.why());
                }
                case AgentChannel.GuestGone g -> throw new VirtException(ErrorCode.AGENT_UNRESPONSIVE,
                        "guest agent went away: " + g.why());
                case AgentChannel.Line line -> {
                    if (!afterSentinel) {
                        LOG.log(Level.DEBUG, "guest agent {0}: discarding stale data before sync", socketPath);
                        continue;
                    }
                    afterSentinel = false;
                    JsonNode reply = parse(ch, "guest-sync-delimited", line.bytes());
                    JsonNode ret = reply.get("return");
                    if (ret != null && ret.canConvertToLong() && ret.asLong() == id) {
                        return;
                    }
                    LOG.log(Level.DEBUG, "guest agent {0}: discarding stale sync reply {1}", socketPath, reply);
                }
            }
        }
    }

    private void send(AgentChannel ch, String name, ObjectNode request, AgentTimeout timeout)
            throws InterruptedException {
        byte[] bytes = (request.toString() + "\n").getBytes(StandardCharsets.UTF_8);
        long wait = timeout.noWait() ? syncTimeout.toNanos() : timeout.duration().toNanos();
        LOG.log(Level.DEBUG, "guest agent {0}: sending {1}", socketPath, name);
        write(ch, name, bytes, System.nanoTime() + wait);
    }

    private void write(AgentChannel ch, String name, byte[] bytes, long deadline) throws InterruptedException {
        try {
            ch.write(bytes, deadline - System.nanoTime());
        } catch (TimeoutException e) {
            reset(ch);
            throw new VirtException(ErrorCode.AGENT_UNRESPONSIVE, "guest agent is not reading: sending '"
                    + name + "' timed out; the connection was reset");
        } catch (IOException e) {
            reset(ch);
            throw new VirtException(ErrorCode.AGENT_UNRESPONSIVE, "cannot send '" + name
                    + "' to the guest agent: " + e.getMessage(), e);
        }
    }

    private JsonNode awaitReply(AgentChannel ch, String name, AgentTimeout timeout, boolean untilGone)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.duration().toNanos();
        boolean delimitedReply = name.equals("guest-sync-delimited"); // a raw sync's own reply has a sentinel
        boolean staleSync = false;
        while (true) {
            AgentChannel.Frame f = ch.poll(deadline - System.nanoTime());
            switch (f) {
                case null -> throw new VirtException(ErrorCode.AGENT_UNRESPONSIVE, "guest agent is not responding: '"
                        + name + "' got no reply within " + timeout);
                case AgentChannel.Sentinel s -> staleSync = !delimitedReply; // only a sync reply follows one
                case AgentChannel.Eof eof -> {
                    reset(ch);
                    if (untilGone) {
                        return null;
                    }
                    throw new VirtException(ErrorCode.AGENT_UNRESPONSIVE, "guest agent socket closed while waiting for '"
                            + name + "': " + eof.why());
                }
                case AgentChannel.GuestGone g -> {
                    if (untilGone) {
                        return null;
                    }
                    throw new VirtException(ErrorCode.AGENT_UNRESPONSIVE, "guest agent went away while waiting for '"
                            + name + "': " + g.why());
                }
                case AgentChannel.Line line -> {
                    if (isBlank(line.bytes())) {
                        continue;
                    }
                    if (staleSync) {
                        staleSync = false;
                        LOG.log(Level.DEBUG, "guest agent {0}: discarding a stale sync reply", socketPath);
                        continue;
                    }
                    JsonNode reply = parse(ch, name, line.bytes());
                    JsonNode error = reply.get("error");
                    if (error != null) {
                        throw new AgentCommandException(name, error.path("class").asText("GenericError"),
                                error.path("desc").asText(error.toString()));
                    }
                    JsonNode ret = reply.get("return");
                    if (ret == null) {
                        reset(ch);
                        throw new VirtException(ErrorCode.OPERATION_FAILED, "guest agent sent a reply to '" + name
                                + "' with neither 'return' nor 'error': " + abbreviate(reply.toString())
                                + "; the connection to the agent was reset");
                    }
                    return ret;
                }
            }
        }
    }

    private JsonNode parse(AgentChannel ch, String name, byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        try {
            JsonNode node = JSON.readTree(text);
            if (node != null && node.isObject()) {
                return node;
            }
        } catch (JsonProcessingException e) {
            // fall through
        }
        reset(ch);
        throw new VirtException(ErrorCode.OPERATION_FAILED, "guest agent sent an unparseable reply to '" + name
                + "': '" + abbreviate(text) + "'; the connection to the agent was reset");
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (!Character.isWhitespace(b)) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String s) {
        String clean = s.replaceAll("\\p{Cntrl}", "?");
        return clean.length() > 200 ? clean.substring(0, 200) + "..." : clean;
    }

    /** Closes the connection; commands fail with AGENT_UNRESPONSIVE afterwards. */
    @Override
    public void close() {
        closed = true;
        AgentChannel ch = channel;
        channel = null;
        if (ch != null) {
            ch.close();
        }
    }
}

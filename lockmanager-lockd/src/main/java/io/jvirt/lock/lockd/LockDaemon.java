package io.jvirt.lock.lockd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.ErrorCode;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The jvirt-lockd daemon: serves {@link Protocol} on a unix socket (mode 0600; peers must be
 * root or the socket's owner, checked with SO_PEERCRED), holds the locks in a {@link LockTable}
 * and can hand everything to a successor ({@link Handover}). One platform thread per connection:
 * junixsocket's blocking reads are native calls that would pin a virtual thread's carrier, and
 * every restricted connection blocks in read for the life of its owner.
 */
public final class LockDaemon implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LockDaemon.class.getName());
    private static final Set<String> COMMANDS = Set.of("ping", "register", "acquire", "release", "inquire", "list", "handover");

    /** A client connection idle this long (no request) is closed; restricted ones never are. */
    static final int IDLE_TIMEOUT_MS = 60_000;

    final LockTable table = new LockTable();
    final Path socketPath;
    final AFUNIXServerSocket server;
    final long allowedUid;
    /** Open restricted connections: the owner lifetimes to hand over. */
    final Set<Session> restricted = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;
    /** Set while handing over: connections ending now are not counted as owners dying. */
    volatile boolean handingOver;

    /** Per-connection state. */
    final class Session {
        final AFUNIXSocket socket;
        final long peerPid;
        LockTable.OwnerInfo owner;
        boolean isRestricted;

        Session(AFUNIXSocket socket, long peerPid) {
            this.socket = socket;
            this.peerPid = peerPid;
        }
    }

    LockDaemon(Path socketPath, AFUNIXServerSocket server) throws IOException {
        this.socketPath = socketPath;
        this.server = server;
        this.allowedUid = ((Number) Files.getAttribute(socketPath, "unix:uid")).longValue();
    }

    /**
     * Binds {@code socketPath} (mode 0600) and returns a daemon ready to {@link #serve()}.
     *
     * @throws IOException when another daemon answers there
     */
    public static LockDaemon bind(Path socketPath) throws IOException {
        Files.createDirectories(socketPath.toAbsolutePath().getParent());
        if (Files.exists(socketPath)) {
            try (AFUNIXSocket probe = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socketPath))) {
                throw new IOException("another jvirt-lockd is already serving " + socketPath
                        + " (use --takeover to replace it without dropping its locks)");
            } catch (SocketException stale) {
                Files.delete(socketPath);
            }
        }
        AFUNIXServerSocket server = AFUNIXServerSocket.newInstance();
        server.bind(AFUNIXSocketAddress.of(socketPath), 64);
        Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
        return new LockDaemon(socketPath, server);
    }

    /** Accepts connections until closed; starts the dead-owner sweeper. */
    public void serve() {
        Thread.ofVirtual().name("lockd-sweeper").start(() -> {
            while (!closing) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                table.sweep();
            }
        });
        LOG.log(System.Logger.Level.INFO, "jvirt-lockd serving {0} (pid {1})", socketPath, ProcessHandle.current().pid());
        while (!closing) {
            try {
                AFUNIXSocket s = server.accept();
                if (handingOver) {
                    s.close();
                    continue;
                }
                Thread.ofPlatform().daemon().name("lockd-conn").start(() -> handle(s));
            } catch (IOException e) {
                if (!closing) {
                    LOG.log(System.Logger.Level.ERROR, "accept failed: " + e.getMessage());
                }
                return;
            }
        }
    }

    /** Watches an adopted restricted connection until its process closes it. */
    void watchRestricted(AFUNIXSocket s, LockTable.OwnerInfo owner) {
        Session st = new Session(s, owner.pid());
        st.owner = owner;
        st.isRestricted = true;
        restricted.add(st);
        Thread.ofPlatform().daemon().name("lockd-owner").start(() -> loop(st));
    }

    private void handle(AFUNIXSocket s) {
        AFUNIXSocketCredentials cred;
        try {
            cred = s.getPeerCredentials();
        } catch (IOException e) {
            closeQuietly(s);
            return;
        }
        if (cred.getUid() != 0 && cred.getUid() != allowedUid) {
            LOG.log(System.Logger.Level.WARNING, "refused a client with uid {0} (pid {1})", cred.getUid(), cred.getPid());
            try {
                Protocol.writeLine(s.getOutputStream(), Protocol.error(ErrorCode.OPERATION_DENIED.name(),
                        "permission denied: uid " + cred.getUid() + " may not use jvirt-lockd (only root and uid " + allowedUid + ")"));
            } catch (IOException ignored) {
                // the client is gone
            }
            closeQuietly(s);
            return;
        }
        try {
            s.setSoTimeout(IDLE_TIMEOUT_MS);
        } catch (IOException e) {
            closeQuietly(s);
            return;
        }
        loop(new Session(s, cred.getPid()));
    }

    private void loop(Session st) {
        try {
            InputStream in = new BufferedInputStream(st.socket.getInputStream());
            OutputStream out = st.socket.getOutputStream();
            while (true) {
                String line;
                try {
                    line = Protocol.readLine(in);
                } catch (Protocol.OversizedException e) {
                    Protocol.writeLine(out, Protocol.error(ErrorCode.INVALID_ARG.name(), e.getMessage() + "; closing the connection"));
                    return;
                } catch (EOFException e) {
                    LOG.log(System.Logger.Level.DEBUG, "truncated message: " + e.getMessage());
                    return;
                }
                if (line == null) {
                    return;
                }
                ObjectNode resp;
                JsonNode req = null;
                try {
                    req = parse(line);
                    if ("handover".equals(req.path("cmd").asText()) && !st.isRestricted) {
                        Handover.send(this, st.socket);
                        return;
                    }
                    resp = dispatch(st, req);
                } catch (LockdException e) {
                    resp = Protocol.error(e.code().name(), e.getMessage());
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "internal error", e);
                    resp = Protocol.error(ErrorCode.INTERNAL_ERROR.name(), "internal error: " + e);
                }
                if (req != null && req.has("id")) {
                    resp.set("id", req.get("id"));
                }
                Protocol.writeLine(out, resp);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "connection ended: " + e.getMessage());
        } finally {
            if (!handingOver) {
                if (st.isRestricted) {
                    restricted.remove(st);
                    table.detach(st.owner.uuid());
                }
                closeQuietly(st.socket);
            }
        }
    }

    private static JsonNode parse(String line) throws LockdException {
        JsonNode n;
        try {
            n = Protocol.JSON.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw Wire.bad("malformed JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) {
            throw Wire.bad("a request must be a JSON object");
        }
        if (!n.path("cmd").isTextual()) {
            throw Wire.bad("missing 'cmd'");
        }
        return n;
    }

    private ObjectNode dispatch(Session st, JsonNode req) throws LockdException {
        String cmd = req.get("cmd").asText();
        if (st.isRestricted) {
            throw new LockdException(ErrorCode.OPERATION_DENIED, "this connection is restricted to keeping "
                    + st.owner.describe() + " registered; it accepts no command ('" + cmd + "')");
        }
        switch (cmd) {
            case "ping":
                return Protocol.ok().put("version", Protocol.VERSION).put("pid", ProcessHandle.current().pid());
            case "register": {
                LockTable.OwnerInfo owner = Wire.owner(req.get("owner"));
                if (req.path("restrict").asBoolean(false)) {
                    if (owner.pid() != st.peerPid) {
                        throw new LockdException(ErrorCode.OPERATION_DENIED, "cannot restrict: owner pid " + owner.pid()
                                + " is not the process that connected (pid " + st.peerPid + ")");
                    }
                    table.attach(owner);
                    try {
                        st.socket.setSoTimeout(0); // lives as long as its owner
                    } catch (IOException e) {
                        table.detach(owner.uuid());
                        throw new LockdException(ErrorCode.SYSTEM_ERROR, "cannot keep the connection: " + e.getMessage());
                    }
                    st.owner = owner;
                    st.isRestricted = true;
                    restricted.add(st);
                } else {
                    st.owner = null; // a failed register leaves the connection unregistered
                    st.owner = table.lookup(owner);
                }
                return Protocol.ok();
            }
            case "acquire":
                return Protocol.ok().put("state", table.acquire(owner(st, cmd), Wire.requests(req.get("resources"))));
            case "release":
                return Protocol.ok().put("state", table.release(owner(st, cmd), Wire.files(req.get("files"))));
            case "inquire":
                return Protocol.ok().put("state", table.inquire(owner(st, cmd)));
            case "list":
                return table.list();
            default:
                throw Wire.bad("unknown command '" + cmd + "' (known: " + String.join(", ", COMMANDS.stream().sorted().toList()) + ")");
        }
    }

    private static UUID owner(Session st, String cmd) throws LockdException {
        if (st.owner == null) {
            throw new LockdException(ErrorCode.OPERATION_INVALID, "'" + cmd + "' needs a 'register' first on this connection");
        }
        return st.owner.uuid();
    }

    /** Stops accepting; held locks are dropped when the process exits. */
    @Override
    public void close() {
        closing = true;
        closeQuietly(server);
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // best effort
        }
    }
}

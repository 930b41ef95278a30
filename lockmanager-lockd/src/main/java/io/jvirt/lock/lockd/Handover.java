package io.jvirt.lock.lockd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

import java.io.BufferedInputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Restart without dropping locks. The successor connects to the running daemon and sends
 * {@code {"cmd":"handover"}}; the predecessor freezes its table and sends, one item per line,
 * each with one descriptor attached (SCM_RIGHTS) and acknowledged before the next:
 * the listening socket, every lock file (its OFD lock travels with the descriptor), every
 * restricted owner connection; then owners without a connection ({@code "watched"}, no
 * descriptor) and {@code {"item":"end"}} — and exits at once, without closing
 * or shutting down anything. The successor waits for it to be gone, then serves. The successor
 * duplicates every received descriptor: junixsocket closes received descriptors together with
 * the socket that received them, and that would drop the OFD locks once the predecessor is gone.
 */
final class Handover {
    private static final System.Logger LOG = System.getLogger(Handover.class.getName());
    private static final int TIMEOUT_MS = 10_000;

    private Handover() {
    }

    /** Predecessor side: hands everything over on {@code s}, then halts the JVM. */
    static void send(LockDaemon d, AFUNIXSocket s) throws IOException {
        d.handingOver = true;
        try {
            s.setSoTimeout(TIMEOUT_MS);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            synchronized (d.table) {
                item(s, in, out, Protocol.JSON.createObjectNode().put("item", "listener")
                        .put("path", d.socketPath.toString()), d.server.getFileDescriptor());
                for (LockTable.Held h : d.table.heldLocks()) {
                    ObjectNode n = Protocol.JSON.createObjectNode().put("item", "lock").put("file", h.file.toString())
                            .put("name", h.name).put("mode", h.exclusive ? "exclusive" : "shared").put("lease", h.leaseFile);
                    var ha = n.putArray("holders");
                    h.holders.forEach(u -> ha.add(u.toString()));
                    item(s, in, out, n, FileDescriptorCast.unsafeUsing(h.fd).getFileDescriptor());
                }
                for (LockDaemon.Session st : d.restricted) {
                    ObjectNode n = Protocol.JSON.createObjectNode().put("item", "owner");
                    n.set("owner", Wire.owner(st.owner));
                    item(s, in, out, n, st.socket.getFileDescriptor());
                }
                for (LockTable.Owner o : d.table.ownerList()) {
                    if (o.connections == 0) {
                        ObjectNode n = Protocol.JSON.createObjectNode().put("item", "watched");
                        n.set("owner", Wire.owner(o.info));
                        item(s, in, out, n, null);
                    }
                }
                item(s, in, out, Protocol.JSON.createObjectNode().put("item", "end"), null);
                LOG.log(System.Logger.Level.INFO, "handed the locks over; exiting");
                System.err.flush();
                Runtime.getRuntime().halt(0);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "hand-over failed, keeping the locks: " + e.getMessage());
            d.handingOver = false;
            LockDaemon.closeQuietly(s);
        }
    }

    private static void item(AFUNIXSocket s, InputStream in, OutputStream out, ObjectNode n, FileDescriptor fd)
            throws IOException {
        if (fd != null) {
            s.setOutboundFileDescriptors(fd);
        }
        Protocol.writeLine(out, n);
        String ack = Protocol.readLine(in);
        if (ack == null || !Protocol.JSON.readTree(ack).path("ok").asBoolean(false)) {
            throw new IOException("successor did not acknowledge " + n.path("item").asText() + ": " + ack);
        }
    }

    private record AdoptedOwner(LockTable.OwnerInfo info, AFUNIXSocket socket) {
    }

    /**
     * Successor side: takes over from the daemon serving {@code socketPath}.
     *
     * @return the daemon built from the handed-over state, or {@code null} when nobody serves there
     */
    static LockDaemon receive(Path socketPath) throws IOException {
        AFUNIXSocket c;
        try {
            c = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socketPath));
        } catch (SocketException e) {
            return null;
        }
        try (c) {
            c.setSoTimeout(TIMEOUT_MS);
            c.setAncillaryReceiveBufferSize(4096);
            long oldPid = c.getPeerCredentials().getPid();
            InputStream in = new BufferedInputStream(c.getInputStream());
            OutputStream out = c.getOutputStream();
            Protocol.writeLine(out, Protocol.JSON.createObjectNode().put("cmd", "handover"));
            LockDaemon d = null;
            List<AdoptedOwner> owners = new ArrayList<>();
            int locks = 0;
            while (true) {
                String line = Protocol.readLine(in);
                if (line == null) {
                    throw new IOException("the running daemon closed the connection during the hand-over");
                }
                JsonNode n = Protocol.JSON.readTree(line);
                if (n.has("ok") && !n.path("ok").asBoolean()) {
                    throw new IOException("the running daemon refused the hand-over: " + n.path("error").asText());
                }
                FileDescriptor[] fds = c.getReceivedFileDescriptors();
                String item = n.path("item").asText();
                if (!item.equals("end") && !item.equals("watched") && (fds == null || fds.length != 1)) {
                    throw new IOException("hand-over item '" + item + "' arrived without its descriptor");
                }
                switch (item) {
                    case "listener" -> d = new LockDaemon(socketPath, FileDescriptorCast.duplicating(fds[0]).as(AFUNIXServerSocket.class));
                    case "lock" -> {
                        List<UUID> holders = new ArrayList<>();
                        n.path("holders").forEach(h -> holders.add(UUID.fromString(h.asText())));
                        int fd = FileDescriptorCast.duplicating(fds[0]).as(Integer.class);
                        require(d).table.adoptLock(Path.of(n.path("file").asText()), n.path("name").asText(), fd,
                                n.path("mode").asText().equals("exclusive"), n.path("lease").asBoolean(false), holders);
                        locks++;
                    }
                    case "owner" -> {
                        AFUNIXSocket os = FileDescriptorCast.duplicating(fds[0]).as(AFUNIXSocket.class);
                        os.setShutdownOnClose(false);
                        try {
                            owners.add(new AdoptedOwner(Wire.owner(n.get("owner")), os));
                        } catch (LockdException e) {
                            throw new IOException(e.getMessage());
                        }
                    }
                    case "watched" -> {
                        try {
                            owners.add(new AdoptedOwner(Wire.owner(n.get("owner")), null));
                        } catch (LockdException e) {
                            throw new IOException(e.getMessage());
                        }
                    }
                    case "end" -> {
                    }
                    default -> throw new IOException("unknown hand-over item: " + line);
                }
                Protocol.writeLine(out, Protocol.ok());
                if (item.equals("end")) {
                    break;
                }
            }
            LockDaemon daemon = require(d);
            waitGone(oldPid);
            for (AdoptedOwner o : owners) {
                daemon.table.adoptOwner(o.info(), o.socket() != null);
            }
            daemon.table.dropOrphans();
            for (AdoptedOwner o : owners) {
                if (o.socket() != null) {
                    daemon.watchRestricted(o.socket(), o.info());
                }
            }
            LOG.log(System.Logger.Level.INFO, "took over {0} locks and {1} owner connections from pid {2}",
                    locks, owners.size(), oldPid);
            return daemon;
        }
    }

    private static LockDaemon require(LockDaemon d) throws IOException {
        if (d == null) {
            throw new IOException("hand-over did not start with the listening socket");
        }
        return d;
    }

    private static void waitGone(long pid) throws IOException {
        var ph = ProcessHandle.of(pid);
        if (ph.isEmpty()) {
            return;
        }
        try {
            ph.get().onExit().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IOException("the previous daemon (pid " + pid + ") did not exit after the hand-over");
        }
    }
}

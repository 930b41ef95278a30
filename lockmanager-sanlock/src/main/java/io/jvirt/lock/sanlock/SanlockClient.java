package io.jvirt.lock.sanlock;

import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A client of one sanlock daemon over its unix socket. Each command opens its own connection
 * (closed afterwards), except {@link #register} and {@link #restrict}, which use a connection
 * another process made. Every read and write has a deadline: a daemon that does not answer,
 * answers garbage or hangs up fails the call with a {@link SanlockIOException}; a daemon that
 * answers with an error code fails it with a {@link SanlockResultException}.
 */
final class SanlockClient {
    /** I/O or protocol failure talking to the daemon (no usable answer). */
    static final class SanlockIOException extends Exception {
        SanlockIOException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The daemon answered with a negative result. */
    static final class SanlockResultException extends Exception {
        final int result;

        SanlockResultException(String what, int result) {
            super(what + ": " + Wire.describe(result));
            this.result = result;
        }
    }

    private record Reply(Wire.Header header, byte[] body) {
    }

    private final Path socket;
    private final Duration timeout;
    private final Duration joinTimeout;

    /**
     * @param socket      the daemon's socket ({@code $SANLOCK_RUN_DIR/sanlock.sock})
     * @param timeout     the bound on one ordinary command (connect, send, answer)
     * @param joinTimeout the bound on joining a lockspace and on acquiring a lease (both do
     *                    timed disk I/O inside the daemon)
     */
    SanlockClient(Path socket, Duration timeout, Duration joinTimeout) {
        this.socket = socket;
        this.timeout = timeout;
        this.joinTimeout = joinTimeout;
    }

    Path socket() {
        return socket;
    }

    /** The daemon's version word (major.minor.patch in the top three bytes). */
    int version() throws SanlockIOException, SanlockResultException {
        Reply r = call(Wire.CMD_VERSION, 0, new byte[0], 0, 0, timeout, "version");
        return r.header.data2();
    }

    /**
     * Registers the process that connected {@code fd} (the daemon reads its pid from the
     * socket's peer credentials). The daemon does not answer a registration.
     */
    void register(FileDescriptor fd) throws SanlockIOException {
        try (UnixFd s = UnixFd.borrow(fd, "sanlock (owner connection)")) {
            s.writeFully(Wire.header(Wire.CMD_REGISTER, 0, 0, 0, 0), deadline(timeout));
        } catch (IOException e) {
            throw new SanlockIOException("cannot register with sanlock over the owner's connection: " + e.getMessage(), e);
        }
    }

    /** Restricts the registered connection {@code fd}: it accepts no further command. */
    void restrict(FileDescriptor fd, int flags) throws SanlockIOException, SanlockResultException {
        try (UnixFd s = UnixFd.borrow(fd, "sanlock (owner connection)")) {
            long deadline = deadline(timeout);
            s.writeFully(Wire.header(Wire.CMD_RESTRICT, flags, 0, 0, Wire.SELF), deadline);
            Reply r = readReply(s, Wire.CMD_RESTRICT, deadline, "restrict");
            check(r, "restrict");
        } catch (IOException e) {
            throw io("restrict", e);
        }
    }

    /** Initialises a lockspace area (delta leases for every host id) at {@code disk}. */
    void writeLockspace(String name, Wire.Disk disk, int ioTimeout) throws SanlockIOException, SanlockResultException {
        check(call(Wire.CMD_WRITE_LOCKSPACE, 0, Wire.lockspace(name, 0, 0, disk), 0, ioTimeout, joinTimeout,
                "init lockspace " + name), "init lockspace " + name + " at " + disk.path());
    }

    /** Initialises a resource (paxos lease) area. */
    void writeResource(Wire.Resource res) throws SanlockIOException, SanlockResultException {
        check(call(Wire.CMD_WRITE_RESOURCE, 0, Wire.resource(res), 0, 0, joinTimeout,
                "init resource " + res.name()), "init lease " + res.name() + " at " + res.disks().getFirst().path());
    }

    /** Joins a lockspace as {@code hostId}; blocks until joined (seconds). Result 0 or EEXIST. */
    int addLockspace(String name, long hostId, Wire.Disk disk, int ioTimeout) throws SanlockIOException {
        return call(Wire.CMD_ADD_LOCKSPACE, 0, Wire.lockspace(name, hostId, 0, disk), ioTimeout, 0, joinTimeout,
                "add_lockspace " + name).header.data();
    }

    /** 0 when joined, ENOENT when not, EINPROGRESS while joining or leaving. */
    int inqLockspace(String name, long hostId, Wire.Disk disk) throws SanlockIOException {
        return call(Wire.CMD_INQ_LOCKSPACE, 0, Wire.lockspace(name, hostId, 0, disk), 0, 0, timeout,
                "inq_lockspace " + name).header.data();
    }

    /** Leaves a lockspace (the daemon refuses while leases in it are held). */
    void remLockspace(String name, long hostId, Wire.Disk disk) throws SanlockIOException, SanlockResultException {
        check(call(Wire.CMD_REM_LOCKSPACE, 0, Wire.lockspace(name, hostId, 0, disk), 0, 0, joinTimeout,
                "rem_lockspace " + name), "rem_lockspace " + name);
    }

    /** Acquires {@code resources} (at most 8) for the registered process {@code pid}. */
    void acquire(long pid, List<Wire.Resource> resources, String ownerName) throws SanlockIOException, SanlockResultException {
        List<byte[]> parts = new ArrayList<>();
        for (Wire.Resource r : resources) {
            parts.add(Wire.resource(r));
        }
        parts.add(Wire.options(ownerName));
        check(call(Wire.CMD_ACQUIRE, 0, concat(parts), resources.size(), (int) pid, joinTimeout, "acquire"),
                "acquire for pid " + pid);
    }

    /** Releases the named resources held for {@code pid}. */
    void release(long pid, List<Wire.Resource> resources) throws SanlockIOException, SanlockResultException {
        List<byte[]> parts = new ArrayList<>();
        for (Wire.Resource r : resources) {
            parts.add(Wire.resourceNameOnly(r.lockspace(), r.name()));
        }
        check(call(Wire.CMD_RELEASE, 0, concat(parts), resources.size(), (int) pid, joinTimeout, "release"),
                "release for pid " + pid);
    }

    /**
     * The leases held for {@code pid}: sanlock's state string (resources separated by spaces,
     * each {@code LOCKSPACE:NAME:PATH:OFFSET[:PATH:OFFSET]:LVER} or {@code ...:SH}).
     */
    String inquire(long pid) throws SanlockIOException, SanlockResultException {
        Reply r = call(Wire.CMD_INQUIRE, 0, new byte[0], 0, (int) pid, timeout, "inquire");
        check(r, "inquire for pid " + pid);
        int end = 0;
        while (end < r.body.length && r.body[end] != 0) {
            end++;
        }
        return new String(r.body, 0, end, StandardCharsets.UTF_8);
    }

    /** The hosts that hold {@code res} according to its lease on disk. */
    List<Wire.Host> owners(Wire.Resource res) throws SanlockIOException, SanlockResultException {
        Reply r = call(Wire.CMD_READ_RESOURCE_OWNERS, 0, Wire.resource(res), 0, 0, timeout, "read_resource_owners");
        check(r, "read owners of " + res.name());
        int count = r.header.data2();
        if (count < 0 || Wire.RESOURCE_LEN + (long) count * Wire.HOST_LEN > r.body.length) {
            throw new SanlockIOException("sanlock's owner list for " + res.name() + " is malformed (" + count
                    + " hosts in " + r.body.length + " bytes)", null);
        }
        return Wire.hosts(r.body, Wire.RESOURCE_LEN, count);
    }

    private Reply call(int cmd, int flags, byte[] body, int data, int data2, Duration bound, String what)
            throws SanlockIOException {
        long deadline = deadline(bound);
        try (UnixFd s = UnixFd.connect(socket, deadline)) {
            byte[] h = Wire.header(cmd, flags, body.length, data, data2);
            s.writeFully(body.length == 0 ? h : concat(List.of(h, body)), deadline);
            return readReply(s, cmd, deadline, what);
        } catch (IOException e) {
            throw io(what, e);
        }
    }

    private Reply readReply(UnixFd s, int cmd, long deadline, String what) throws IOException, SanlockIOException {
        byte[] raw = s.readFully(Wire.HEADER_LEN, deadline);
        Wire.Header h = Wire.parseHeader(raw);
        if (h.magic() != Wire.MAGIC) {
            throw new SanlockIOException("bad reply from sanlock at " + socket + " to '" + what + "': magic 0x"
                    + Integer.toHexString(h.magic()) + ", expected 0x0" + Integer.toHexString(Wire.MAGIC)
                    + " (is this a sanlock daemon?)", null);
        }
        if (h.length() < Wire.HEADER_LEN || h.length() > Wire.MAX_MSG) {
            throw new SanlockIOException("bad reply from sanlock at " + socket + " to '" + what + "': length "
                    + Integer.toUnsignedString(h.length()) + " outside " + Wire.HEADER_LEN + ".." + Wire.MAX_MSG, null);
        }
        if (h.cmd() != cmd) {
            throw new SanlockIOException("bad reply from sanlock at " + socket + " to '" + what + "': it answers command "
                    + Integer.toUnsignedString(h.cmd()) + ", expected " + cmd, null);
        }
        byte[] body = s.readFully(h.length() - Wire.HEADER_LEN, deadline);
        return new Reply(h, body);
    }

    private SanlockIOException io(String what, IOException e) {
        String why = switch (e) {
            case SocketTimeoutException t -> "no answer within the time limit (" + t.getMessage() + ")";
            case EOFException eof -> "the daemon hung up (" + eof.getMessage() + ")";
            default -> e.getMessage();
        };
        return new SanlockIOException("sanlock at " + socket + " failed '" + what + "': " + why, e);
    }

    private static void check(Reply r, String what) throws SanlockResultException {
        if (r.header.data() < 0) {
            throw new SanlockResultException(what, r.header.data());
        }
    }

    private static long deadline(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    private static byte[] concat(List<byte[]> parts) {
        int n = parts.stream().mapToInt(p -> p.length).sum();
        byte[] out = new byte[n];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return out;
    }
}

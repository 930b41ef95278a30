package io.jvirt.lock.sanlock;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The sanlock daemon's socket protocol, as far as jvirt speaks it: a 32-byte header of eight
 * little-endian u32 ({@code magic, version, cmd, cmd_flags, length, seq, data, data2}; the
 * length counts the header) followed by fixed-size structs. Replies carry the result (0 or a
 * negative errno / sanlock code) in {@code data}.
 */
final class Wire {
    private Wire() {
    }

    static final int MAGIC = 0x04282010;
    static final int PROTO = 0x00000001;
    static final int HEADER_LEN = 32;
    /** The daemon's own bound on one message; replies larger than this are refused. */
    static final int MAX_MSG = 1024 * 1024;

    // commands
    static final int CMD_REGISTER = 1;
    static final int CMD_ADD_LOCKSPACE = 2;
    static final int CMD_REM_LOCKSPACE = 3;
    static final int CMD_ACQUIRE = 7;
    static final int CMD_RELEASE = 8;
    static final int CMD_INQUIRE = 9;
    static final int CMD_RESTRICT = 10;
    static final int CMD_INQ_LOCKSPACE = 16;
    static final int CMD_WRITE_LOCKSPACE = 18;
    static final int CMD_WRITE_RESOURCE = 19;
    static final int CMD_READ_RESOURCE_OWNERS = 24;
    static final int CMD_VERSION = 28;

    /** {@code data2} meaning "act for the connection's own registered process". */
    static final int SELF = -1;

    // struct sizes (x86-64 and every other 64-bit Linux ABI: natural alignment)
    static final int NAME_LEN = 48;
    static final int PATH_LEN = 1024;
    static final int DISK_LEN = PATH_LEN + 8 + 4 + 4;          // path, offset, pad1, pad2
    static final int RESOURCE_LEN = 2 * NAME_LEN + 8 + 8 + 4 + 4 + 4 + 4;  // 128, disks follow
    static final int LOCKSPACE_LEN = NAME_LEN + 8 + 4 + 4 + DISK_LEN;      // 1104 (4 bytes pad)
    static final int OPTIONS_LEN = NAME_LEN + 4 + 4;            // owner_name, flags, len
    static final int HOST_LEN = 8 + 8 + 8 + 4 + 4;              // host_id, generation, timestamp, io_timeout, flags
    static final int MAX_DISKS = 4;
    static final int MAX_HOST_ID = 2000;

    // resource flags
    static final int RES_LVER = 0x1;
    static final int RES_SHARED = 0x4;

    /** restrict: the registered connection accepts no further command. */
    static final int RESTRICT_ALL = 0x1;

    // results
    static final int EEXIST = -17;
    static final int ESRCH = -3;
    static final int ENOENT = -2;
    static final int EINPROGRESS = -115;
    static final int ENOSPC = -28;
    static final int EAGAIN = -11;
    static final int EBUSY = -16;
    static final int ESTALE = -116;
    static final int ACQUIRE_LVER = -240;
    static final int ACQUIRE_IDLIVE = -243;
    static final int ACQUIRE_OWNED = -244;
    static final int ACQUIRE_OTHER = -245;
    static final int ACQUIRE_SHRETRY = -246;
    static final int ACQUIRE_OWNED_RETRY = -247;

    /** One received message. */
    record Header(int magic, int version, int cmd, int cmdFlags, int length, int seq, int data, int data2) {
    }

    /** A disk area holding a lease: a path and a byte offset. */
    record Disk(String path, long offset) {
    }

    /** A resource (paxos lease) as the protocol carries it. */
    record Resource(String lockspace, String name, long lver, int flags, List<Disk> disks) {
    }

    /** A host found holding a resource. */
    record Host(long hostId, long generation, long timestamp) {
    }

    static byte[] header(int cmd, int cmdFlags, int bodyLen, int data, int data2) {
        ByteBuffer b = le(HEADER_LEN);
        b.putInt(MAGIC).putInt(PROTO).putInt(cmd).putInt(cmdFlags).putInt(HEADER_LEN + bodyLen)
                .putInt(0).putInt(data).putInt(data2);
        return b.array();
    }

    static Header parseHeader(byte[] h) {
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        return new Header(b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt());
    }

    static byte[] resource(Resource r) {
        if (r.disks().isEmpty() || r.disks().size() > MAX_DISKS) {
            throw new IllegalArgumentException("a resource has 1 to " + MAX_DISKS + " disks, not " + r.disks().size());
        }
        ByteBuffer b = le(RESOURCE_LEN + r.disks().size() * DISK_LEN);
        putName(b, r.lockspace(), "lockspace name");
        putName(b, r.name(), "resource name");
        b.putLong(r.lver()).putLong(0).putInt(0).putInt(0).putInt(r.flags()).putInt(r.disks().size());
        for (Disk d : r.disks()) {
            putDisk(b, d);
        }
        return b.array();
    }

    /** Only the names: what release needs. */
    static byte[] resourceNameOnly(String lockspace, String name) {
        ByteBuffer b = le(RESOURCE_LEN);
        putName(b, lockspace, "lockspace name");
        putName(b, name, "resource name");
        return b.array();
    }

    static byte[] lockspace(String name, long hostId, int flags, Disk disk) {
        ByteBuffer b = le(LOCKSPACE_LEN);
        putName(b, name, "lockspace name");
        b.putLong(hostId).putInt(flags).putInt(0);
        putDisk(b, disk);
        return b.array();
    }

    static byte[] options(String ownerName) {
        ByteBuffer b = le(OPTIONS_LEN);
        byte[] n = ownerName.getBytes(StandardCharsets.UTF_8);
        // the owner name is informational: cut it to fit rather than refuse
        b.put(n, 0, Math.min(n.length, NAME_LEN - 1));
        b.position(NAME_LEN);
        b.putInt(0).putInt(0);
        return b.array();
    }

    static List<Host> hosts(byte[] body, int offset, int count) {
        List<Host> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            b.position(offset + i * HOST_LEN);
            out.add(new Host(b.getLong(), b.getLong(), b.getLong()));
        }
        return out;
    }

    /** Fails unless {@code s} fits a 48-byte name field (no NUL inside). */
    static void checkName(String s, String what) {
        byte[] n = s.getBytes(StandardCharsets.UTF_8);
        if (n.length == 0 || n.length > NAME_LEN || s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " '" + s + "' must be 1 to " + NAME_LEN + " bytes without NUL");
        }
    }

    /** Fails unless {@code s} fits the 1024-byte path field with its terminating NUL. */
    static void checkPath(String s, String what) {
        byte[] p = s.getBytes(StandardCharsets.UTF_8);
        if (p.length == 0 || p.length >= PATH_LEN || s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " '" + s + "' must be 1 to " + (PATH_LEN - 1) + " bytes without NUL");
        }
    }

    private static void putName(ByteBuffer b, String s, String what) {
        checkName(s, what);
        int start = b.position();
        b.put(s.getBytes(StandardCharsets.UTF_8));
        b.position(start + NAME_LEN);
    }

    private static void putDisk(ByteBuffer b, Disk d) {
        checkPath(d.path(), "lease path");
        if (d.offset() < 0) {
            throw new IllegalArgumentException("lease offset is negative: " + d.offset());
        }
        int start = b.position();
        b.put(d.path().getBytes(StandardCharsets.UTF_8));
        b.position(start + PATH_LEN);
        b.putLong(d.offset()).putInt(0).putInt(0);
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static final Map<Integer, String> RESULTS = Map.ofEntries(
            Map.entry(-1, "operation not permitted (EPERM)"),
            Map.entry(-2, "no such entry (ENOENT)"),
            Map.entry(-3, "no such registered process (ESRCH)"),
            Map.entry(-5, "I/O error (EIO)"),
            Map.entry(-7, "too many resources in one request (E2BIG)"),
            Map.entry(-11, "try again (EAGAIN)"),
            Map.entry(-13, "permission denied (EACCES)"),
            Map.entry(-16, "busy (EBUSY)"),
            Map.entry(-17, "already exists (EEXIST)"),
            Map.entry(-19, "no such device (ENODEV)"),
            Map.entry(-22, "invalid argument (EINVAL)"),
            Map.entry(-25, "the registered process died during the request (ENOTTY)"),
            Map.entry(-28, "lockspace not joined on this host (ENOSPC)"),
            Map.entry(-34, "bad number of disks (ERANGE)"),
            Map.entry(-107, "incomplete request (ENOTCONN)"),
            Map.entry(-110, "timed out (ETIMEDOUT)"),
            Map.entry(-115, "lockspace join in progress (EINPROGRESS)"),
            Map.entry(-116, "the registered process is gone (ESTALE)"),
            Map.entry(-201, "sanlock error"),
            Map.entry(-202, "storage I/O timeout (SANLK_AIO_TIMEOUT)"),
            Map.entry(-203, "watchdog error (SANLK_WD_ERROR)"),
            Map.entry(-210, "cannot read a paxos block (SANLK_DBLOCK_READ)"),
            Map.entry(-211, "cannot write a paxos block (SANLK_DBLOCK_WRITE)"),
            Map.entry(-220, "cannot read the lease leader (SANLK_LEADER_READ)"),
            Map.entry(-221, "cannot write the lease leader (SANLK_LEADER_WRITE)"),
            Map.entry(-223, "the lease area is not initialised (SANLK_LEADER_MAGIC)"),
            Map.entry(-226, "the lease belongs to another lockspace (SANLK_LEADER_LOCKSPACE)"),
            Map.entry(-227, "the lease belongs to another resource (SANLK_LEADER_RESOURCE)"),
            Map.entry(-231, "invalid host id (SANLK_ADDLS_INVALID_HOSTID)"),
            Map.entry(-240, "the lease version changed since the saved state (SANLK_ACQUIRE_LVER)"),
            Map.entry(-241, "lockspace mismatch (SANLK_ACQUIRE_LOCKSPACE)"),
            Map.entry(-243, "held by a live host (SANLK_ACQUIRE_IDLIVE)"),
            Map.entry(-244, "owned by another host (SANLK_ACQUIRE_OWNED)"),
            Map.entry(-245, "owned by another host (SANLK_ACQUIRE_OTHER)"),
            Map.entry(-246, "shared holders prevent it (SANLK_ACQUIRE_SHRETRY)"),
            Map.entry(-247, "owned by another host, retry (SANLK_ACQUIRE_OWNED_RETRY)"),
            Map.entry(-250, "lease version mismatch on release (SANLK_RELEASE_LVER)"),
            Map.entry(-251, "not the lease owner on release (SANLK_RELEASE_OWNER)"),
            Map.entry(-262, "host id busy: another host uses it (SANLK_HOSTID_BUSY)"));

    /** A readable text for a daemon result code. */
    static String describe(int result) {
        String s = RESULTS.get(result);
        return (s == null ? "error" : s) + " [" + result + "]";
    }

    /** Whether {@code result} means "someone else holds it". */
    static boolean isBusy(int result) {
        return result == EEXIST || result == EAGAIN || result == EBUSY || result == ACQUIRE_IDLIVE
                || result == ACQUIRE_OWNED || result == ACQUIRE_OTHER || result == ACQUIRE_SHRETRY
                || result == ACQUIRE_OWNED_RETRY;
    }
}

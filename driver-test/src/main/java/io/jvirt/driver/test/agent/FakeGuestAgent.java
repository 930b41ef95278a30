package io.jvirt.driver.test.agent;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.InterfaceAddresses;
import io.jvirt.api.VirtException;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-memory guest agent of one running test domain. It answers the qemu-ga commands jvirt
 * uses — as raw JSON through {@link #execute} and as typed calls — with qemu-ga's reply shapes and
 * error classes: ping, sync, clock (a per-domain offset from the host's clock), file-system freeze
 * (freezing twice fails as qemu-ga does: in the frozen state only thaw, status, ping, sync and
 * info are enabled), network interfaces, OS facts, host name, time zone, users, user passwords and
 * guest-shutdown.
 *
 * <p>Its {@link AgentMode} makes it answer, stay silent (each command waits for its timeout and
 * then fails with {@code AGENT_UNRESPONSIVE}) or be absent (fails at once). Callers hold the
 * domain's agent job and have dropped the domain lock; this object has its own lock, never held
 * while calling back into the driver.
 */
public final class FakeGuestAgent {
    private static final System.Logger LOG = System.getLogger(FakeGuestAgent.class.getName());

    /** The default command timeout: 5 s. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** The timeout of guest-shutdown: 60 s. */
    public static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(60);
    /** The bound on a "block" (negative) timeout: there are no unbounded waits. */
    public static final Duration BLOCK_LIMIT = Duration.ofMinutes(30);
    /** The agent version guest-info reports. */
    public static final String VERSION = "7.2.0";

    /** The file systems of the fake guest, in mount order. */
    public static final List<String> MOUNTPOINTS = List.of("/", "/boot");
    /** The users that exist in the fake guest. */
    public static final Set<String> ACCOUNTS = Set.of("root", "guest");

    private static final Set<String> ALLOWED_WHEN_FROZEN = Set.of("guest-ping", "guest-info", "guest-sync",
            "guest-sync-delimited", "guest-fsfreeze-status", "guest-fsfreeze-thaw");
    private static final List<String> COMMANDS = List.of("guest-sync", "guest-sync-delimited", "guest-ping",
            "guest-info", "guest-get-time", "guest-set-time", "guest-fsfreeze-status", "guest-fsfreeze-freeze",
            "guest-fsfreeze-freeze-list", "guest-fsfreeze-thaw", "guest-network-get-interfaces",
            "guest-get-osinfo", "guest-get-host-name", "guest-get-timezone", "guest-get-users",
            "guest-set-user-password", "guest-shutdown");

    /** What the guest does when asked to power off through its agent. */
    @FunctionalInterface
    public interface Guest {
        /**
         * Powers the guest off or reboots it; runs on its own virtual thread after guest-shutdown
         * was accepted, and must end with {@link FakeGuestAgent#disconnect()} of {@code agent}.
         *
         * @param agent  the agent that accepted guest-shutdown
         * @param reboot whether the guest reboots rather than powers off
         */
        void powerOff(FakeGuestAgent agent, boolean reboot);
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final String hostname;
    private final String mac;
    private final String ipv4;
    private final Guest guest;
    private final Instant loginTime = Instant.now();

    // ---- guarded by lock ----
    private AgentMode mode;
    private boolean connected = true;
    private long clockOffsetNanos;
    private final List<String> frozen = new ArrayList<>();
    private final Map<String, String> passwords = new LinkedHashMap<>();

    /**
     * A connected agent.
     *
     * @param hostname the guest's host name
     * @param mac      the MAC address of the guest's {@code eth0}
     * @param ipv4     the IPv4 address of {@code eth0} (prefix 24)
     * @param mode     how it behaves
     * @param guest    what guest-shutdown does
     */
    public FakeGuestAgent(String hostname, String mac, String ipv4, AgentMode mode, Guest guest) {
        this.hostname = Objects.requireNonNull(hostname, "hostname");
        this.mac = Objects.requireNonNull(mac, "mac");
        this.ipv4 = Objects.requireNonNull(ipv4, "ipv4");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.guest = Objects.requireNonNull(guest, "guest");
    }

    /**
     * The wait the public API's {@code Duration} means: null is {@link #DEFAULT_TIMEOUT}, zero
     * "send without waiting", negative "block" (bounded by {@link #BLOCK_LIMIT}).
     */
    public static Duration effectiveTimeout(Duration apiTimeout) {
        if (apiTimeout == null) {
            return DEFAULT_TIMEOUT;
        }
        if (apiTimeout.isNegative() || apiTimeout.compareTo(BLOCK_LIMIT) > 0) {
            return BLOCK_LIMIT;
        }
        return apiTimeout;
    }

    // ---- control ----

    /** How the agent behaves now. */
    public AgentMode mode() {
        lock.lock();
        try {
            return mode;
        } finally {
            lock.unlock();
        }
    }

    /** Changes how the agent behaves; waiting commands see it at once. */
    public void setMode(AgentMode mode) {
        lock.lock();
        try {
            this.mode = Objects.requireNonNull(mode, "mode");
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether an agent runs in the guest and its channel is open (not {@link AgentMode#NONE}, not disconnected). */
    public boolean isConnected() {
        lock.lock();
        try {
            return connected && mode != AgentMode.NONE;
        } finally {
            lock.unlock();
        }
    }

    /** The guest stopped or reset: the channel closes; waiting commands fail with {@code AGENT_UNRESPONSIVE}. */
    public void disconnect() {
        lock.lock();
        try {
            connected = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- raw commands ----

    /**
     * Runs one raw command, {@code {"execute":NAME[,"arguments":{...}]}}, and returns the agent's
     * reply ({@code {"return":...}}), or null when none is awaited ({@code timeout} zero, or
     * guest-shutdown, which qemu-ga does not answer).
     *
     * @param timeout how long to wait for the reply, as {@link #effectiveTimeout} gives it
     * @throws VirtException {@code INVALID_ARG} for a request that is not a JSON object naming a
     *                       command; {@code AGENT_UNRESPONSIVE} for a silent or absent agent;
     *                       {@code OPERATION_FAILED} when the agent answers with an error
     */
    public String execute(String json, Duration timeout) {
        Map<?, ?> request = request(json);
        String name = (String) request.get("execute");
        Object a = request.get("arguments");
        if (a != null && !(a instanceof Map)) {
            throw new VirtException(ErrorCode.INVALID_ARG, "guest agent command '" + name
                    + "': \"arguments\" must be a JSON object");
        }
        Map<?, ?> args = a == null ? Map.of() : (Map<?, ?>) a;
        boolean reply = enter(name, timeout);
        String ret = switch (name) {
            case "guest-sync", "guest-sync-delimited" -> String.valueOf(Replies.number(name, args, "id", true));
            case "guest-ping" -> "{}";
            case "guest-info" -> info();
            case "guest-get-time" -> String.valueOf(timeNanos());
            case "guest-set-time" -> {
                Long t = Replies.number(name, args, "time", false);
                setClock(t);
                yield "{}";
            }
            case "guest-fsfreeze-status" -> SmallJson.quote(frozenStatus());
            case "guest-fsfreeze-freeze" -> String.valueOf(doFreeze(name, List.of()));
            case "guest-fsfreeze-freeze-list" -> String.valueOf(doFreeze(name, Replies.strings(name, args, "mountpoints")));
            case "guest-fsfreeze-thaw" -> String.valueOf(doThaw());
            case "guest-network-get-interfaces" -> interfacesJson();
            case "guest-get-osinfo" -> objectJson(osInfo());
            case "guest-get-host-name" -> "{\"host-name\":" + SmallJson.quote(hostname) + "}";
            case "guest-get-timezone" -> "{\"zone\":\"UTC\",\"offset\":0}";
            case "guest-get-users" -> "[{\"user\":\"root\",\"login-time\":" + loginSeconds() + "}]";
            case "guest-set-user-password" -> {
                doSetPassword(name, Replies.text(name, args, "username"), Replies.text(name, args, "password"),
                        args.get("crypted") instanceof Boolean b && b);
                yield "{}";
            }
            case "guest-shutdown" -> {
                Object m = args.get("mode");
                String how = m == null ? "powerdown" : String.valueOf(m);
                if (!Set.of("powerdown", "halt", "reboot").contains(how)) {
                    throw Replies.refused(name, "GenericError", "Parameter 'mode' does not accept value '" + how + "'");
                }
                doShutdown(how.equals("reboot"), timeout);
                yield null;
            }
            default -> throw Replies.refused(name, "CommandNotFound", "The command " + name + " has not been found");
        };
        return reply && ret != null ? "{\"return\":" + ret + "}" : null;
    }

    private static Map<?, ?> request(String json) {
        if (json == null || json.isBlank()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "guest agent command is empty");
        }
        Object v;
        try {
            v = SmallJson.parse(json);
        } catch (SmallJson.MalformedException e) {
            throw new VirtException(ErrorCode.INVALID_ARG, "guest agent command is not valid JSON: " + e.getMessage());
        }
        if (!(v instanceof Map<?, ?> m) || !(m.get("execute") instanceof String)) {
            throw new VirtException(ErrorCode.INVALID_ARG,
                    "guest agent command must be a JSON object with a string \"execute\" member");
        }
        return m;
    }

    // ---- typed commands (each waits at most DEFAULT_TIMEOUT unless said otherwise) ----

    /** guest-ping. */
    public void ping() {
        enter("guest-ping", DEFAULT_TIMEOUT);
    }

    /** guest-get-time: the guest's clock. */
    public Instant time() {
        enter("guest-get-time", DEFAULT_TIMEOUT);
        long nanos = timeNanos();
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }

    /** guest-set-time: sets the guest's clock, or with null resyncs it from its hardware clock (the host's). */
    public void setTime(Instant time) {
        Long nanos = null;
        if (time != null) {
            try {
                nanos = Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000_000L), time.getNano());
            } catch (ArithmeticException e) {
                throw new VirtException(ErrorCode.INVALID_ARG, "time out of range for the guest agent: " + time);
            }
        }
        enter("guest-set-time", DEFAULT_TIMEOUT);
        setClock(nanos);
    }

    /** guest-fsfreeze-freeze(-list): freezes all file systems, or those named; returns how many froze. */
    public int freeze(List<String> mountpoints) {
        String name = mountpoints.isEmpty() ? "guest-fsfreeze-freeze" : "guest-fsfreeze-freeze-list";
        enter(name, DEFAULT_TIMEOUT);
        return doFreeze(name, mountpoints);
    }

    /**
     * guest-fsfreeze-thaw: thaws every frozen file system (qemu-ga thaws all; {@code mountpoints}
     * is accepted as the API has it, but must name mounted file systems); returns how many thawed.
     */
    public int thaw(List<String> mountpoints) {
        for (String m : mountpoints) {
            if (!MOUNTPOINTS.contains(m)) {
                throw new VirtException(ErrorCode.INVALID_ARG, "no file system is mounted at '" + m
                        + "' in the guest (mounted: " + MOUNTPOINTS + ")");
            }
        }
        enter("guest-fsfreeze-thaw", DEFAULT_TIMEOUT);
        return doThaw();
    }

    /** guest-fsfreeze-status: {@code frozen} or {@code thawed}. */
    public String freezeStatus() {
        enter("guest-fsfreeze-status", DEFAULT_TIMEOUT);
        return frozenStatus();
    }

    /** guest-network-get-interfaces: {@code lo} and {@code eth0} with their addresses. */
    public List<InterfaceAddresses> interfaces() {
        enter("guest-network-get-interfaces", DEFAULT_TIMEOUT);
        return List.of(new InterfaceAddresses("lo", "00:00:00:00:00:00", List.of("127.0.0.1/8")),
                new InterfaceAddresses("eth0", mac, List.of(ipv4 + "/24")));
    }

    /**
     * Facts about the guest under {@code virsh guestinfo}'s names: {@code os.*}, {@code hostname},
     * {@code timezone.name}/{@code .offset}, {@code user.count}, {@code user.N.name}/{@code .login-time}
     * (milliseconds). Parts whose command is disabled (the frozen state) are left out.
     */
    public Map<String, String> guestInfo() {
        enter("guest-info", DEFAULT_TIMEOUT);
        Map<String, String> info = new LinkedHashMap<>();
        if (enabled("guest-get-osinfo")) {
            osInfo().forEach((k, v) -> info.put("os." + k, v));
        }
        if (enabled("guest-get-host-name")) {
            info.put("hostname", hostname);
        }
        if (enabled("guest-get-timezone")) {
            info.put("timezone.name", "UTC");
            info.put("timezone.offset", "0");
        }
        if (enabled("guest-get-users")) {
            info.put("user.count", "1");
            info.put("user.0.name", "root");
            info.put("user.0.login-time", Long.toString(loginTime.toEpochMilli()));
        }
        return info;
    }

    /** guest-set-user-password. */
    public void setUserPassword(String user, String password, boolean crypted) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        enter("guest-set-user-password", DEFAULT_TIMEOUT);
        doSetPassword("guest-set-user-password", user,
                Base64.getEncoder().encodeToString(password.getBytes(StandardCharsets.UTF_8)), crypted);
    }

    /**
     * guest-shutdown: the guest powers off (or reboots); returns once the agent's channel closed,
     * waiting at most {@link #SHUTDOWN_TIMEOUT}.
     */
    public void shutdown(boolean reboot) {
        enter("guest-shutdown", SHUTDOWN_TIMEOUT);
        doShutdown(reboot, SHUTDOWN_TIMEOUT);
    }

    /** The password last set for {@code user} ({@code plain:…} or {@code crypted:…}), or null; for tests. */
    public String passwordOf(String user) {
        lock.lock();
        try {
            return passwords.get(user);
        } finally {
            lock.unlock();
        }
    }

    // ---- the gate every command passes ----

    /**
     * Admits command {@code name}: fails at once for an absent agent, waits out {@code timeout}
     * for a silent one, refuses commands disabled in the frozen state. Returns whether a reply is
     * awaited (false for a zero timeout).
     */
    private boolean enter(String name, Duration timeout) {
        lock.lock();
        try {
            if (!connected || mode == AgentMode.NONE) {
                throw Replies.unresponsive("guest agent is not connected");
            }
            if (mode == AgentMode.SILENT) {
                if (timeout.isZero()) {
                    LOG.log(Level.DEBUG, "guest agent of {0}: {1} sent without waiting", hostname, name);
                    return false;
                }
                long deadline = System.nanoTime() + timeout.toNanos();
                while (connected && mode == AgentMode.SILENT) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw Replies.unresponsive("guest agent is not responding: '" + name + "' got no reply within "
                                + timeout.toMillis() + " ms");
                    }
                    try {
                        changed.awaitNanos(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw Replies.unresponsive("interrupted waiting for the guest agent's reply to '" + name + "'");
                    }
                }
                if (!connected || mode == AgentMode.NONE) {
                    throw Replies.unresponsive("guest agent went away while '" + name + "' waited for its reply");
                }
            }
            if (!frozen.isEmpty() && !ALLOWED_WHEN_FROZEN.contains(name) && COMMANDS.contains(name)) {
                throw Replies.refused(name, "CommandNotFound", "Command " + name
                        + " has been disabled: the agent is in frozen state");
            }
            return !timeout.isZero();
        } finally {
            lock.unlock();
        }
    }

    private boolean enabled(String name) {
        lock.lock();
        try {
            return frozen.isEmpty() || ALLOWED_WHEN_FROZEN.contains(name);
        } finally {
            lock.unlock();
        }
    }

    // ---- command bodies ----

    private long timeNanos() {
        lock.lock();
        try {
            Instant now = Instant.now();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano() + clockOffsetNanos;
        } finally {
            lock.unlock();
        }
    }

    private void setClock(Long nanos) {
        lock.lock();
        try {
            if (nanos == null) {
                clockOffsetNanos = 0;
            } else {
                Instant now = Instant.now();
                clockOffsetNanos = nanos - (now.getEpochSecond() * 1_000_000_000L + now.getNano());
            }
        } finally {
            lock.unlock();
        }
    }

    private String frozenStatus() {
        lock.lock();
        try {
            return frozen.isEmpty() ? "thawed" : "frozen";
        } finally {
            lock.unlock();
        }
    }

    private int doFreeze(String name, List<String> mountpoints) {
        for (String m : mountpoints) {
            if (!MOUNTPOINTS.contains(m)) {
                throw Replies.refused(name, "GenericError", "no file system is mounted at '" + m + "'");
            }
        }
        lock.lock();
        try {
            if (!frozen.isEmpty()) {
                throw Replies.refused(name, "CommandNotFound", "Command " + name
                        + " has been disabled: the agent is in frozen state");
            }
            for (String m : MOUNTPOINTS) {
                if (mountpoints.isEmpty() || mountpoints.contains(m)) {
                    frozen.add(m);
                }
            }
            return frozen.size();
        } finally {
            lock.unlock();
        }
    }

    private int doThaw() {
        lock.lock();
        try {
            int n = frozen.size();
            frozen.clear();
            return n;
        } finally {
            lock.unlock();
        }
    }

    private void doSetPassword(String name, String user, String base64, boolean crypted) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw Replies.refused(name, "GenericError", "Invalid parameter 'password': not base64: " + e.getMessage());
        }
        if (!ACCOUNTS.contains(user)) {
            throw Replies.refused(name, "GenericError", "user '" + user + "' does not exist in the guest");
        }
        String pw = new String(raw, StandardCharsets.UTF_8);
        if (pw.indexOf('\n') >= 0) {
            throw Replies.refused(name, "GenericError", "Invalid parameter 'password': contains a newline");
        }
        lock.lock();
        try {
            passwords.put(user, (crypted ? "crypted:" : "plain:") + pw);
        } finally {
            lock.unlock();
        }
    }

    private void doShutdown(boolean reboot, Duration timeout) {
        Thread.ofVirtual().name("test-guest-poweroff-" + hostname).start(() -> {
            try {
                guest.powerOff(this, reboot);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "test guest " + hostname + " failed to power off: " + e.getMessage(), e);
            }
        });
        if (timeout.isZero()) {
            return;
        }
        lock.lock();
        try {
            long left = timeout.toNanos();
            while (connected) {
                if (left <= 0) {
                    throw Replies.unresponsive("guest agent accepted guest-shutdown but the guest did not go down within "
                            + timeout.toSeconds() + " s");
                }
                left = changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Replies.unresponsive("interrupted waiting for the guest to shut down");
        } finally {
            lock.unlock();
        }
    }

    private String info() {
        StringBuilder sb = new StringBuilder("{\"version\":\"" + VERSION + "\",\"supported_commands\":[");
        for (int i = 0; i < COMMANDS.size(); i++) {
            String c = COMMANDS.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"name\":\"").append(c).append("\",\"enabled\":")
                    .append(enabled(c)).append(",\"success-response\":").append(!c.equals("guest-shutdown")).append('}');
        }
        return sb.append("]}").toString();
    }

    private Map<String, String> osInfo() {
        Map<String, String> os = new LinkedHashMap<>();
        os.put("id", "jvirt-test");
        os.put("name", "jvirt test guest");
        os.put("pretty-name", "jvirt test guest 1.0");
        os.put("version", "1.0");
        os.put("version-id", "1.0");
        os.put("kernel-release", "6.1.0-test");
        os.put("kernel-version", "#1 SMP");
        os.put("machine", "x86_64");
        return os;
    }

    private String interfacesJson() {
        return "[{\"name\":\"lo\",\"hardware-address\":\"00:00:00:00:00:00\",\"ip-addresses\":[{\"ip-address-type\":"
                + "\"ipv4\",\"ip-address\":\"127.0.0.1\",\"prefix\":8}]},{\"name\":\"eth0\",\"hardware-address\":"
                + SmallJson.quote(mac) + ",\"ip-addresses\":[{\"ip-address-type\":\"ipv4\",\"ip-address\":"
                + SmallJson.quote(ipv4) + ",\"prefix\":24}]}]";
    }

    private String loginSeconds() {
        long ms = loginTime.toEpochMilli();
        return (ms / 1000) + "." + String.format("%03d", ms % 1000);
    }

    private static String objectJson(Map<String, String> m) {
        StringBuilder sb = new StringBuilder("{");
        m.forEach((k, v) -> sb.append(sb.length() == 1 ? "" : ",").append(SmallJson.quote(k)).append(':')
                .append(SmallJson.quote(v)));
        return sb.append('}').toString();
    }
}

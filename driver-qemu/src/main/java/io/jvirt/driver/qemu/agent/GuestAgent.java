package io.jvirt.driver.qemu.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.InterfaceAddresses;
import io.jvirt.api.VirtException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Typed guest-agent commands over an {@link AgentClient}: ping, clock, file-system freeze,
 * interfaces, OS facts, users, passwords and shutdown. Each method waits at most the timeout
 * it is given ({@link AgentTimeout#DEFAULT} unless said otherwise) and fails as
 * {@link AgentClient} documents.
 *
 * <p>File-system freeze and thaw exist only as commands to the guest over its agent channel;
 * nothing here ever acts on the host's file systems.
 */
public final class GuestAgent {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final AgentClient client;
    private final AgentTimeout timeout;

    /** Typed commands over {@code client}, each with {@code timeout}. */
    public GuestAgent(AgentClient client, AgentTimeout timeout) {
        this.client = Objects.requireNonNull(client, "client");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.noWait()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "typed agent commands need their replies: use a "
                    + "timeout other than NOWAIT");
        }
    }

    /** Typed commands over {@code client} with the default timeout. */
    public GuestAgent(AgentClient client) {
        this(client, AgentTimeout.DEFAULT);
    }

    /** The underlying client (raw commands, port-state hooks). */
    public AgentClient client() {
        return client;
    }

    /** guest-ping: succeeds when the agent answers. */
    public void ping() {
        client.execute("guest-ping", null, timeout);
    }

    /** guest-get-time: the guest's clock. */
    public Instant time() {
        JsonNode ret = client.execute("guest-get-time", null, timeout);
        if (!ret.canConvertToLong()) {
            throw unexpected("guest-get-time", ret);
        }
        long nanos = ret.asLong();
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }

    /**
     * guest-set-time: sets the guest's clock to {@code time}; with null the guest sets its system
     * clock from its own hardware clock (the agent's behaviour without arguments).
     */
    public void setTime(Instant time) {
        ObjectNode args = null;
        if (time != null) {
            long nanos;
            try {
                nanos = Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000_000L), time.getNano());
            } catch (ArithmeticException e) {
                throw new VirtException(ErrorCode.INVALID_ARG, "time out of range for the guest agent: " + time);
            }
            args = JSON.createObjectNode().put("time", nanos);
        }
        client.execute("guest-set-time", args, timeout);
    }

    /**
     * Freezes the guest's file systems: all of them when {@code mountpoints} is empty
     * (guest-fsfreeze-freeze), else those listed (guest-fsfreeze-freeze-list). Returns how many
     * the agent froze.
     */
    public int fsFreeze(List<String> mountpoints) {
        JsonNode ret;
        if (mountpoints == null || mountpoints.isEmpty()) {
            ret = client.execute("guest-fsfreeze-freeze", null, timeout);
        } else {
            ArrayNode list = JSON.createArrayNode();
            mountpoints.forEach(list::add);
            ObjectNode args = JSON.createObjectNode();
            args.set("mountpoints", list);
            ret = client.execute("guest-fsfreeze-freeze-list", args, timeout);
        }
        return count("guest-fsfreeze-freeze", ret);
    }

    /** guest-fsfreeze-thaw: thaws every frozen file system; returns how many. */
    public int fsThaw() {
        return count("guest-fsfreeze-thaw", client.execute("guest-fsfreeze-thaw", null, timeout));
    }

    /** guest-fsfreeze-status. */
    public FsFreezeStatus fsFreezeStatus() {
        JsonNode ret = client.execute("guest-fsfreeze-status", null, timeout);
        return switch (ret.asText()) {
            case "thawed" -> FsFreezeStatus.THAWED;
            case "frozen" -> FsFreezeStatus.FROZEN;
            default -> throw unexpected("guest-fsfreeze-status", ret);
        };
    }

    /**
     * guest-network-get-interfaces: each interface with its MAC (null if none) and its addresses
     * as {@code address/prefix}.
     */
    public List<InterfaceAddresses> interfaces() {
        JsonNode ret = client.execute("guest-network-get-interfaces", null, timeout);
        if (!ret.isArray()) {
            throw unexpected("guest-network-get-interfaces", ret);
        }
        List<InterfaceAddresses> result = new ArrayList<>();
        for (JsonNode iface : ret) {
            List<String> addresses = new ArrayList<>();
            for (JsonNode a : iface.path("ip-addresses")) {
                String ip = a.path("ip-address").asText(null);
                if (ip != null) {
                    addresses.add(a.has("prefix") ? ip + "/" + a.get("prefix").asInt() : ip);
                }
            }
            result.add(new InterfaceAddresses(iface.path("name").asText(""),
                    iface.path("hardware-address").asText(null), addresses));
        }
        return List.copyOf(result);
    }

    /** guest-get-osinfo. */
    public GuestOsInfo osInfo() {
        JsonNode r = client.execute("guest-get-osinfo", null, timeout);
        if (!r.isObject()) {
            throw unexpected("guest-get-osinfo", r);
        }
        return new GuestOsInfo(text(r, "id"), text(r, "name"), text(r, "pretty-name"), text(r, "version"),
                text(r, "version-id"), text(r, "variant"), text(r, "variant-id"), text(r, "kernel-release"),
                text(r, "kernel-version"), text(r, "machine"));
    }

    /** guest-get-host-name. */
    public String hostname() {
        JsonNode r = client.execute("guest-get-host-name", null, timeout);
        String name = text(r, "host-name");
        if (name == null) {
            throw unexpected("guest-get-host-name", r);
        }
        return name;
    }

    /** guest-get-timezone. */
    public GuestTimezone timezone() {
        JsonNode r = client.execute("guest-get-timezone", null, timeout);
        if (!r.has("offset")) {
            throw unexpected("guest-get-timezone", r);
        }
        return new GuestTimezone(text(r, "zone"), r.get("offset").asInt());
    }

    /** guest-get-users: who is logged in. */
    public List<GuestUser> users() {
        JsonNode r = client.execute("guest-get-users", null, timeout);
        if (!r.isArray()) {
            throw unexpected("guest-get-users", r);
        }
        List<GuestUser> users = new ArrayList<>();
        for (JsonNode u : r) {
            double seconds = u.path("login-time").asDouble(0);
            users.add(new GuestUser(u.path("user").asText(""), text(u, "domain"),
                    Instant.ofEpochMilli(Math.round(seconds * 1000))));
        }
        return List.copyOf(users);
    }

    /**
     * guest-set-user-password: sets {@code user}'s password; {@code crypted} says the password is
     * already hashed (as {@code chpasswd -e} takes it).
     */
    public void setUserPassword(String user, String password, boolean crypted) {
        if (user == null || user.isEmpty()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "user name must not be empty");
        }
        Objects.requireNonNull(password, "password");
        ObjectNode args = JSON.createObjectNode()
                .put("username", user)
                .put("password", Base64.getEncoder().encodeToString(password.getBytes(StandardCharsets.UTF_8)))
                .put("crypted", crypted);
        client.execute("guest-set-user-password", args, timeout);
    }

    /**
     * guest-shutdown in {@code mode}, waiting up to {@link AgentTimeout#SHUTDOWN} for the agent to
     * go away (it sends no reply when it succeeds). An error reply fails.
     */
    public void shutdown(GuestShutdownMode mode) {
        shutdown(mode, AgentTimeout.SHUTDOWN);
    }

    /** guest-shutdown in {@code mode} with an explicit timeout. */
    public void shutdown(GuestShutdownMode mode, AgentTimeout shutdownTimeout) {
        ObjectNode args = JSON.createObjectNode().put("mode", Objects.requireNonNull(mode, "mode").wireName());
        client.executeUntilGuestGone("guest-shutdown", args, shutdownTimeout);
    }

    /**
     * Facts about the guest under {@code virsh guestinfo}'s names: {@code os.*},
     * {@code hostname}, {@code timezone.name}/{@code timezone.offset}, {@code user.count} and
     * {@code user.N.name}/{@code .domain}/{@code .login-time} (milliseconds). Parts whose
     * command the agent lacks or has disabled are left out; other errors fail.
     */
    public Map<String, String> guestInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        ifSupported(() -> {
            GuestOsInfo os = osInfo();
            put(info, "os.id", os.id());
            put(info, "os.name", os.name());
            put(info, "os.pretty-name", os.prettyName());
            put(info, "os.version", os.version());
            put(info, "os.version-id", os.versionId());
            put(info, "os.kernel-release", os.kernelRelease());
            put(info, "os.kernel-version", os.kernelVersion());
            put(info, "os.machine", os.machine());
            put(info, "os.variant", os.variant());
            put(info, "os.variant-id", os.variantId());
        });
        ifSupported(() -> info.put("hostname", hostname()));
        ifSupported(() -> {
            GuestTimezone tz = timezone();
            put(info, "timezone.name", tz.zone());
            info.put("timezone.offset", Integer.toString(tz.offsetSeconds()));
        });
        ifSupported(() -> {
            List<GuestUser> users = users();
            info.put("user.count", Integer.toString(users.size()));
            for (int i = 0; i < users.size(); i++) {
                GuestUser u = users.get(i);
                info.put("user." + i + ".name", u.name());
                put(info, "user." + i + ".domain", u.domain());
                info.put("user." + i + ".login-time", Long.toString(u.loginTime().toEpochMilli()));
            }
        });
        return info;
    }

    private static void ifSupported(Runnable part) {
        try {
            part.run();
        } catch (AgentCommandException e) {
            if (!e.errorClass().equals("CommandNotFound") && !e.errorClass().equals("CommandDisabled")) {
                throw e;
            }
        }
    }

    private static void put(Map<String, String> map, String key, String value) {
        if (value != null) {
            map.put(key, value);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static int count(String command, JsonNode ret) {
        if (!ret.canConvertToInt()) {
            throw unexpected(command, ret);
        }
        return ret.asInt();
    }

    private static VirtException unexpected(String command, JsonNode ret) {
        String s = String.valueOf(ret);
        return new VirtException(ErrorCode.OPERATION_FAILED, "guest agent returned an unexpected value for '"
                + command + "': " + (s.length() > 200 ? s.substring(0, 200) + "..." : s));
    }
}

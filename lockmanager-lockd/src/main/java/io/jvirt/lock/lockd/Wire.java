package io.jvirt.lock.lockd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.ErrorCode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Conversions between protocol JSON and the daemon's values, with clear errors. */
final class Wire {
    private Wire() {
    }

    static ObjectNode owner(LockTable.OwnerInfo o) {
        return Protocol.JSON.createObjectNode().put("uuid", o.uuid().toString()).put("name", o.name())
                .put("id", o.id()).put("pid", o.pid()).put("uri", o.uri());
    }

    static LockTable.OwnerInfo owner(JsonNode n) throws LockdException {
        if (n == null || !n.isObject()) {
            throw bad("'owner' must be an object {uuid, name, id, pid, uri}");
        }
        UUID uuid;
        try {
            uuid = UUID.fromString(text(n, "uuid"));
        } catch (IllegalArgumentException e) {
            throw bad("owner 'uuid' is not a UUID: " + n.get("uuid"));
        }
        JsonNode pid = n.get("pid");
        if (pid == null || !pid.canConvertToLong() || pid.asLong() <= 0) {
            throw bad("owner 'pid' must be a positive integer");
        }
        JsonNode id = n.get("id");
        return new LockTable.OwnerInfo(uuid, text(n, "name"), id == null ? -1 : id.asInt(-1), pid.asLong(),
                n.hasNonNull("uri") ? n.get("uri").asText() : "");
    }

    static List<LockTable.Request> requests(JsonNode n) throws LockdException {
        if (n == null || !n.isArray()) {
            throw bad("'resources' must be an array of {file, name, mode, create}");
        }
        List<LockTable.Request> out = new ArrayList<>();
        for (JsonNode r : n) {
            if (!r.isObject()) {
                throw bad("each resource must be an object {file, name, mode, create}");
            }
            String file = text(r, "file");
            String mode = r.hasNonNull("mode") ? r.get("mode").asText() : "exclusive";
            if (!mode.equals("exclusive") && !mode.equals("shared")) {
                throw bad("resource 'mode' must be \"exclusive\" or \"shared\", not \"" + mode + "\"");
            }
            String name = r.hasNonNull("name") ? r.get("name").asText() : file;
            out.add(new LockTable.Request(path(file), name, mode.equals("exclusive"),
                    r.path("create").asBoolean(false)));
        }
        return out;
    }

    static List<Path> files(JsonNode n) throws LockdException {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw bad("'files' must be an array of paths");
        }
        List<Path> out = new ArrayList<>();
        for (JsonNode f : n) {
            out.add(path(f.asText()));
        }
        return out;
    }

    private static Path path(String s) throws LockdException {
        if (s.isEmpty() || s.indexOf('\0') >= 0 || !s.startsWith("/")) {
            throw bad("lock file path must be absolute: \"" + s + "\"");
        }
        return Path.of(s).normalize();
    }

    static String text(JsonNode n, String field) throws LockdException {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw bad("missing or non-string field '" + field + "'");
        }
        return v.asText();
    }

    static LockdException bad(String message) {
        return new LockdException(ErrorCode.INVALID_ARG, "bad request: " + message);
    }
}

package io.jvirt.driver.qemu.lock;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.driver.qemu.monitor.QmpMonitor;
import io.jvirt.lock.lockd.LockdClient;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What a jvirt-lockd daemon says it holds, asked over its own {@code list} command. */
final class LockdHolders {
    private LockdHolders() {
    }

    /** The names of the domains holding the lock named {@code lockName} (a disk's path). */
    static List<String> of(Path socket, String lockName) {
        try (LockdClient c = LockdClient.connect(socket, "list locks")) {
            JsonNode r = c.call(QmpMonitor.json().createObjectNode().put("cmd", "list"));
            Map<String, String> names = new HashMap<>();
            r.path("owners").forEach(o -> names.put(o.path("uuid").asText(), o.path("name").asText()));
            List<String> out = new ArrayList<>();
            for (JsonNode l : r.path("locks")) {
                if (l.path("name").asText().equals(lockName)) {
                    l.path("owners").forEach(u -> out.add(names.getOrDefault(u.asText(), u.asText())));
                }
            }
            return out;
        }
    }
}

package io.jvirt.spi.process;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to spawn and how.
 *
 * @param argv        program (absolute path) and arguments
 * @param environment the environment, or null to inherit the JVM's
 * @param workingDir  the working directory, or null for the JVM's
 * @param logFile     where the program's stdout and stderr are appended, or null to discard them
 * @param umask       the umask to set (e.g. {@code 0007})
 * @param rlimits     resource limits by name ({@code nofile}, {@code memlock}, {@code core}, {@code nproc},
 *                    {@code fsize}, {@code as}); {@code -1} means unlimited
 * @param uid         user to switch to, or -1 to stay
 * @param gid         group to switch to (supplementary groups are reset to it), or -1 to stay
 * @param hooks       pre-exec hooks, run in order
 * @param timeout     bound on the whole handshake (helper start, hooks' sockets, exec)
 */
public record SpawnRequest(List<String> argv, Map<String, String> environment, Path workingDir, Path logFile,
                           int umask, Map<String, Long> rlimits, int uid, int gid, List<PreExecHook> hooks,
                           Duration timeout) {
    public SpawnRequest {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv is empty");
        }
        environment = environment == null ? null : Map.copyOf(environment);
        rlimits = Map.copyOf(rlimits);
        hooks = List.copyOf(hooks);
        Objects.requireNonNull(timeout, "timeout");
    }

    /** A builder for {@code argv}, with umask 0007, no limits, no hooks and a 30 s timeout. */
    public static Builder builder(List<String> argv) {
        return new Builder(argv);
    }

    /** Builds {@link SpawnRequest}s. */
    public static final class Builder {
        private final List<String> argv;
        private Map<String, String> environment;
        private Path workingDir;
        private Path logFile;
        private int umask = 0007;
        private final Map<String, Long> rlimits = new LinkedHashMap<>();
        private int uid = -1;
        private int gid = -1;
        private final List<PreExecHook> hooks = new ArrayList<>();
        private Duration timeout = Duration.ofSeconds(30);

        private Builder(List<String> argv) {
            this.argv = List.copyOf(argv);
        }

        public Builder environment(Map<String, String> env) {
            this.environment = env;
            return this;
        }

        public Builder workingDir(Path dir) {
            this.workingDir = dir;
            return this;
        }

        public Builder logFile(Path file) {
            this.logFile = file;
            return this;
        }

        public Builder umask(int mask) {
            this.umask = mask;
            return this;
        }

        public Builder rlimit(String name, long value) {
            rlimits.put(name, value);
            return this;
        }

        public Builder user(int uid, int gid) {
            this.uid = uid;
            this.gid = gid;
            return this;
        }

        public Builder hook(PreExecHook hook) {
            hooks.add(hook);
            return this;
        }

        public Builder hooks(List<PreExecHook> list) {
            hooks.addAll(list);
            return this;
        }

        public Builder timeout(Duration t) {
            this.timeout = t;
            return this;
        }

        public SpawnRequest build() {
            return new SpawnRequest(argv, environment, workingDir, logFile, umask, rlimits, uid, gid, hooks, timeout);
        }
    }
}

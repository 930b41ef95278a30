package io.jvirt.driver.vz;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.spi.VirtUri;
import io.jvirt.spi.job.JobConfig;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The driver's settings, read from the connection URI.
 *
 * @param uri          the normalised URI ({@code vz:///sim}, {@code vz:///system})
 * @param backend      {@code sim} or {@code system}
 * @param jobs         job waits: {@code jobWaitTimeoutMs} (default 30 s), {@code maxQueuedJobs} (default unlimited)
 * @param sdkTimeout   the longest wait for one SDK job ({@code sdkTimeoutMs}, default 300 s); a job
 *                     still running then is cancelled and the call fails with {@code OPERATION_TIMEOUT}
 * @param backendParams the remaining query parameters, for the backend
 */
public record VzConfig(String uri, String backend, JobConfig jobs, Duration sdkTimeout, Map<String, String> backendParams) {
    private static final Set<String> DRIVER_KEYS = Set.of("jobWaitTimeoutMs", "maxQueuedJobs", "sdkTimeoutMs");

    public VzConfig {
        backendParams = Map.copyOf(backendParams);
    }

    /**
     * Reads the settings from {@code uri}.
     *
     * @throws VirtException {@code INVALID_ARG} naming a malformed parameter, {@code NO_CONNECT} for an unknown path
     */
    public static VzConfig from(VirtUri uri) {
        String backend = switch (uri.path()) {
            case "/sim" -> "sim";
            case "/system", "" , "/" -> "system";
            default -> throw new VirtException(ErrorCode.NO_CONNECT, "unknown vz URI path '" + uri.path()
                    + "' in '" + uri.text() + "': use vz:///system or vz:///sim");
        };
        if (!uri.isLocal()) {
            throw new VirtException(ErrorCode.NO_CONNECT, "vz driver: remote host '" + uri.host()
                    + "' is not supported; use a local URI (vz:///system, vz:///sim)");
        }
        if (!uri.transport().isEmpty()) {
            throw new VirtException(ErrorCode.NO_CONNECT, "vz driver: transport '" + uri.transport() + "' is not supported");
        }
        Duration wait = Duration.ofMillis(millis(uri, "jobWaitTimeoutMs", 30_000));
        long maxQueued = millis(uri, "maxQueuedJobs", 0);
        Duration sdk = Duration.ofMillis(millis(uri, "sdkTimeoutMs", 300_000));
        if (wait.isZero() || sdk.isZero()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "jobWaitTimeoutMs and sdkTimeoutMs must be > 0 in '" + uri.text() + "'");
        }
        Map<String, String> rest = new LinkedHashMap<>();
        uri.query().forEach((k, v) -> {
            if (!DRIVER_KEYS.contains(k)) {
                rest.put(k, v);
            }
        });
        if (backend.equals("system") && !rest.isEmpty()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "vz:///system takes no parameter " + rest.keySet()
                    + " (emulator settings belong to vz:///sim)");
        }
        JobConfig jobs = JobConfig.DEFAULTS.withWaitTimeout(wait).withMaxQueuedWaiters((int) Math.min(Integer.MAX_VALUE, maxQueued));
        return new VzConfig("vz:///" + backend, backend, jobs, sdk, rest);
    }

    private static long millis(VirtUri uri, String key, long dflt) {
        String v = uri.query().get(key);
        if (v == null) {
            return dflt;
        }
        try {
            long n = Long.parseLong(v.strip());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new VirtException(ErrorCode.INVALID_ARG, "vz URI parameter '" + key
                    + "' must be a non-negative integer, was '" + v + "'");
        }
    }
}

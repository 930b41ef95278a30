package io.jvirt.spi.job;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The persistent part of a running async job: what a driver writes into the domain's status file
 * so that after a restart it can recover or roll back the job (see {@link DomainJobs#resumeAsync}).
 *
 * @param kind    the async job's kind
 * @param phase   its phase, driver-defined (empty when none)
 * @param api     the API that started it
 * @param started when it started
 * @param mask    the normal job kinds it admitted
 */
public record JobState(AsyncJobKind kind, String phase, String api, Instant started, Set<JobKind> mask) {

    public JobState {
        Objects.requireNonNull(kind, "kind");
        phase = phase == null ? "" : phase;
        Objects.requireNonNull(api, "api");
        Objects.requireNonNull(started, "started");
        mask = Set.copyOf(mask);
    }

    /** The state as string pairs ({@code asyncJob}, {@code phase}, {@code api}, {@code started}, {@code mask}). */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("asyncJob", kind.name());
        m.put("phase", phase);
        m.put("api", api);
        m.put("started", started.toString());
        StringBuilder sb = new StringBuilder();
        for (JobKind k : JobKind.values()) {
            if (mask.contains(k)) {
                sb.append(sb.isEmpty() ? "" : ",").append(k.name());
            }
        }
        m.put("mask", sb.toString());
        return m;
    }

    /**
     * Reads what {@link #toMap()} wrote.
     *
     * @throws VirtException {@code INTERNAL_ERROR} naming the key whose value is missing or invalid
     */
    public static JobState fromMap(Map<String, String> m) {
        AsyncJobKind kind = parse(m, "asyncJob", v -> AsyncJobKind.valueOf(v));
        String phase = m.getOrDefault("phase", "");
        String api = required(m, "api");
        Instant started = parse(m, "started", Instant::parse);
        Set<JobKind> mask = EnumSet.noneOf(JobKind.class);
        String maskText = m.get("mask");
        if (maskText == null) {
            mask.addAll(kind.defaultMask());
        } else if (!maskText.isBlank()) {
            for (String part : maskText.split(",")) {
                try {
                    mask.add(JobKind.valueOf(part.trim()));
                } catch (IllegalArgumentException e) {
                    throw bad("mask", maskText, "unknown job kind '" + part.trim() + "'");
                }
            }
        }
        return new JobState(kind, phase, api, started, mask);
    }

    private static String required(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new VirtException(ErrorCode.INTERNAL_ERROR, "saved job state lacks '" + key + "'");
        }
        return v;
    }

    private static <T> T parse(Map<String, String> m, String key, java.util.function.Function<String, T> f) {
        String v = required(m, key);
        try {
            return f.apply(v);
        } catch (RuntimeException e) {
            throw bad(key, v, e.getMessage());
        }
    }

    private static VirtException bad(String key, String value, String why) {
        return new VirtException(ErrorCode.INTERNAL_ERROR, "saved job state has an invalid '" + key + "' value '"
                + value + "': " + why);
    }
}

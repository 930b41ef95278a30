package io.jvirt.spi.job;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/** Formatting of owners for messages. */
final class Owners {
    private Owners() {
    }

    static String thread(Thread t) {
        String n = t.getName();
        return n.isEmpty() ? "#" + t.threadId() : n;
    }

    static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    static void append(StringBuilder sb, String job, String api, Thread owner, long ageNanos) {
        if (!sb.isEmpty()) {
            sb.append("; ");
        }
        sb.append(job).append(" api=").append(api).append(" thread=").append(thread(owner))
                .append(" for ").append(seconds(ageNanos));
    }

    static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    static String instant(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }
}

package io.jvirt.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Options for {@link Domain#migrate(Connection, MigrateOptions)}. Immutable; each setter returns a
 * changed copy: {@code MigrateOptions.live().bandwidthMiBps(100)}.
 */
public final class MigrateOptions {
    private final boolean live;
    private final boolean persistent;
    private final boolean undefineSource;
    private final long bandwidthMiBps;
    private final Duration maxDowntime;
    private final String destinationName;

    private MigrateOptions(boolean live, boolean persistent, boolean undefineSource, long bandwidthMiBps,
                           Duration maxDowntime, String destinationName) {
        if (bandwidthMiBps < 0) {
            throw new IllegalArgumentException("bandwidth must be >= 0 MiB/s, was " + bandwidthMiBps);
        }
        this.live = live;
        this.persistent = persistent;
        this.undefineSource = undefineSource;
        this.bandwidthMiBps = bandwidthMiBps;
        this.maxDowntime = maxDowntime;
        this.destinationName = destinationName;
    }

    /** Live migration (the guest keeps running while memory is copied), no other options. */
    public static MigrateOptions live() {
        return new MigrateOptions(true, false, false, 0, null, null);
    }

    /** Migration with the guest paused during the copy, no other options. */
    public static MigrateOptions paused() {
        return new MigrateOptions(false, false, false, 0, null, null);
    }

    /** Also define the domain persistently on the destination. */
    public MigrateOptions persistent(boolean value) {
        return new MigrateOptions(live, value, undefineSource, bandwidthMiBps, maxDowntime, destinationName);
    }

    /** Also undefine the domain on the source after success. */
    public MigrateOptions undefineSource(boolean value) {
        return new MigrateOptions(live, persistent, value, bandwidthMiBps, maxDowntime, destinationName);
    }

    /** Caps the bandwidth, in MiB/s (0 = unlimited). */
    public MigrateOptions bandwidthMiBps(long value) {
        return new MigrateOptions(live, persistent, undefineSource, value, maxDowntime, destinationName);
    }

    /** The longest pause allowed at switch-over. */
    public MigrateOptions maxDowntime(Duration value) {
        return new MigrateOptions(live, persistent, undefineSource, bandwidthMiBps,
                Objects.requireNonNull(value, "maxDowntime"), destinationName);
    }

    /** A new name for the domain on the destination. */
    public MigrateOptions destinationName(String value) {
        return new MigrateOptions(live, persistent, undefineSource, bandwidthMiBps, maxDowntime,
                Objects.requireNonNull(value, "destinationName"));
    }

    public boolean isLive() {
        return live;
    }

    public boolean isPersistent() {
        return persistent;
    }

    public boolean isUndefineSource() {
        return undefineSource;
    }

    public long getBandwidthMiBps() {
        return bandwidthMiBps;
    }

    public Optional<Duration> getMaxDowntime() {
        return Optional.ofNullable(maxDowntime);
    }

    public Optional<String> getDestinationName() {
        return Optional.ofNullable(destinationName);
    }

    @Override
    public String toString() {
        return "MigrateOptions[live=" + live + ", persistent=" + persistent + ", undefineSource=" + undefineSource
                + ", bandwidthMiBps=" + bandwidthMiBps + ", maxDowntime=" + maxDowntime
                + ", destinationName=" + destinationName + "]";
    }
}

package io.jvirt.cli;

import java.io.PrintStream;
import java.text.MessageFormat;
import java.util.Locale;
import java.util.ResourceBundle;
import java.util.function.Supplier;

/**
 * The {@link System.Logger} backend jvirsh binds (libraries only log through {@code System.Logger}):
 * one line per record on stderr, {@code jvirsh: LEVEL logger: message}. WARNING and above by
 * default; {@code JVIRT_LOG=debug|info|warning|error|off} changes the threshold of jvirt's own
 * loggers ({@code io.jvirt.*}). Other loggers (the JDK's) never go below WARNING.
 */
public final class StderrLoggerFinder extends System.LoggerFinder {
    private final System.Logger.Level threshold;
    private final PrintStream stream;

    /** The finder {@link java.util.ServiceLoader} instantiates: threshold from {@code JVIRT_LOG}. */
    public StderrLoggerFinder() {
        this(parseLevel(System.getenv("JVIRT_LOG")), System.err);
    }

    StderrLoggerFinder(System.Logger.Level threshold, PrintStream stream) {
        this.threshold = threshold;
        this.stream = stream;
    }

    /** Maps {@code JVIRT_LOG}'s value to a level; unset or unknown means WARNING. */
    static System.Logger.Level parseLevel(String value) {
        if (value == null || value.isBlank()) {
            return System.Logger.Level.WARNING;
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "all", "trace" -> System.Logger.Level.TRACE;
            case "debug" -> System.Logger.Level.DEBUG;
            case "info" -> System.Logger.Level.INFO;
            case "warn", "warning" -> System.Logger.Level.WARNING;
            case "error" -> System.Logger.Level.ERROR;
            case "off", "none" -> System.Logger.Level.OFF;
            default -> System.Logger.Level.WARNING;
        };
    }

    @Override
    public System.Logger getLogger(String name, Module module) {
        return new StderrLogger(name);
    }

    private final class StderrLogger implements System.Logger {
        private final String name;
        private final Level loggerThreshold;

        StderrLogger(String name) {
            this.name = name;
            boolean own = name.startsWith("io.jvirt.");
            this.loggerThreshold = own || threshold.getSeverity() >= Level.WARNING.getSeverity()
                    ? threshold : Level.WARNING;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean isLoggable(Level level) {
            return level != Level.OFF && loggerThreshold != Level.OFF
                    && level.getSeverity() >= loggerThreshold.getSeverity();
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            if (isLoggable(level)) {
                emit(level, localize(bundle, msg), thrown);
            }
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            if (isLoggable(level)) {
                String pattern = localize(bundle, format);
                String text = params == null || params.length == 0 ? pattern : MessageFormat.format(pattern, params);
                emit(level, text, null);
            }
        }

        @Override
        public void log(Level level, Supplier<String> msgSupplier) {
            if (isLoggable(level)) {
                emit(level, msgSupplier.get(), null);
            }
        }

        private static String localize(ResourceBundle bundle, String key) {
            if (bundle != null && key != null && bundle.containsKey(key)) {
                return bundle.getString(key);
            }
            return key;
        }

        private void emit(Level level, String text, Throwable thrown) {
            StringBuilder line = new StringBuilder("jvirsh: ").append(level.getName()).append(' ')
                    .append(name).append(": ").append(text);
            if (thrown != null && threshold.getSeverity() > Level.DEBUG.getSeverity()) {
                line.append(" (").append(thrown).append(')');
            }
            synchronized (stream) {
                stream.println(line);
                if (thrown != null && threshold.getSeverity() <= Level.DEBUG.getSeverity()) {
                    thrown.printStackTrace(stream);
                }
            }
        }
    }
}

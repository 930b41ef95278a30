package io.jvirt.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoggerFinderTest {
    @Test
    void levelsFromEnvironmentValue() {
        assertEquals(System.Logger.Level.WARNING, StderrLoggerFinder.parseLevel(null));
        assertEquals(System.Logger.Level.DEBUG, StderrLoggerFinder.parseLevel("debug"));
        assertEquals(System.Logger.Level.INFO, StderrLoggerFinder.parseLevel(" INFO "));
        assertEquals(System.Logger.Level.OFF, StderrLoggerFinder.parseLevel("off"));
        assertEquals(System.Logger.Level.WARNING, StderrLoggerFinder.parseLevel("bogus"));
    }

    @Test
    void printsAtOrAboveThresholdOnly() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StderrLoggerFinder finder = new StderrLoggerFinder(System.Logger.Level.WARNING,
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        System.Logger log = finder.getLogger("io.jvirt.x", getClass().getModule());
        log.log(System.Logger.Level.INFO, "hidden");
        log.log(System.Logger.Level.WARNING, "disk {0} is {1}", "vda", "slow");
        log.log(System.Logger.Level.ERROR, "broken", new IllegalStateException("boom"));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals("jvirsh: WARNING io.jvirt.x: disk vda is slow\n"
                + "jvirsh: ERROR io.jvirt.x: broken (java.lang.IllegalStateException: boom)\n", text);
    }

    @Test
    void debugAppliesToJvirtLoggersOnly() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StderrLoggerFinder finder = new StderrLoggerFinder(System.Logger.Level.DEBUG,
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertTrue(finder.getLogger("io.jvirt.x", getClass().getModule()).isLoggable(System.Logger.Level.DEBUG));
        System.Logger jdk = finder.getLogger("java.lang.Runtime", getClass().getModule());
        assertTrue(!jdk.isLoggable(System.Logger.Level.DEBUG) && jdk.isLoggable(System.Logger.Level.WARNING));
        StderrLoggerFinder quiet = new StderrLoggerFinder(System.Logger.Level.OFF, System.err);
        assertTrue(!quiet.getLogger("java.lang.Runtime", getClass().getModule()).isLoggable(System.Logger.Level.ERROR));
    }

    @Test
    void isTheBoundBackend() {
        System.Logger log = System.getLogger("io.jvirt.probe");
        assertTrue(log.isLoggable(System.Logger.Level.ERROR));
        assertEquals("io.jvirt.probe", log.getName());
        assertTrue(log.getClass().getName().startsWith(StderrLoggerFinder.class.getName()), log.getClass().getName());
    }
}

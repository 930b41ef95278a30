package io.jvirt.driver.test;

import com.google.auto.service.AutoService;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.driver.test.agent.AgentMode;
import io.jvirt.spi.DriverContext;
import io.jvirt.spi.DriverProvider;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.spi.VirtUri;
import io.jvirt.spi.job.JobConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code test} driver's entry point. Accepts {@code test:///default} (a fresh in-memory host
 * with the predefined domain {@code test}) and {@code test:///ABSOLUTE/PATH.xml} (a host loaded
 * from a node description, see {@link TestNode}). Each open gives an independent host. Query
 * parameters: {@code saveDelayMs=N} makes {@code save} a long async job of N ms (for the TCK's job
 * model suite), {@code jobWaitMs=N} sets how long callers wait for a job (default 30 s),
 * {@code agent=on|silent|none} how the domains' guest agents behave ({@link AgentMode}, default
 * {@code on}; per domain, {@link io.jvirt.driver.test.agent.TestDriverControl} — reached with
 * {@code connection.unwrap} — changes it).
 */
@AutoService(DriverProvider.class)
public final class TestDriverProvider implements DriverProvider {
    /** The path of the built-in default host. */
    public static final String DEFAULT_PATH = "/default";

    /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
    public TestDriverProvider() {
    }

    @Override
    public String name() {
        return "test";
    }

    @Override
    public boolean accepts(VirtUri uri) {
        return uri.driver().equals("test");
    }

    @Override
    public HypervisorDriver open(VirtUri uri, DriverContext context) {
        if (!uri.transport().isEmpty() || !uri.isLocal()) {
            throw new VirtException(ErrorCode.NO_CONNECT, "the test driver is local only, '" + uri
                    + "' names a transport or remote host");
        }
        TestDriver.Options options = options(uri);
        String path = uri.path();
        if (path.equals(DEFAULT_PATH)) {
            return new TestDriver("test:///default", TestNode.defaultNode(), context.events(), options);
        }
        if (path.isEmpty() || !path.startsWith("/")) {
            throw new VirtException(ErrorCode.NO_CONNECT, "test driver URI '" + uri
                    + "' must be test:///default or test:///ABSOLUTE/PATH/TO/NODE.xml");
        }
        Path file = Path.of(path);
        if (!Files.isRegularFile(file)) {
            throw new VirtException(ErrorCode.NO_CONNECT, "test driver URI '" + uri + "': no node description file at "
                    + file);
        }
        TestNode node = TestNode.load(file);
        try {
            return new TestDriver("test://" + path, node, context.events(), options);
        } catch (VirtException e) {
            throw new VirtException(e.code(), "cannot load test node description " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The URI's settings: {@code saveDelayMs} (how long a save takes, default 0) and
     * {@code jobWaitMs} (how long a caller waits for a job, default 30000).
     */
    private static TestDriver.Options options(VirtUri uri) {
        long saveDelay = millis(uri, "saveDelayMs", 0);
        JobConfig jobs = JobConfig.DEFAULTS;
        if (uri.param("jobWaitMs").isPresent()) {
            long wait = millis(uri, "jobWaitMs", 0);
            if (wait == 0) {
                throw new VirtException(ErrorCode.NO_CONNECT, "test driver URI '" + uri + "': jobWaitMs must be > 0");
            }
            jobs = jobs.withWaitTimeout(Duration.ofMillis(wait));
        }
        AgentMode agent = AgentMode.ON;
        if (uri.param("agent").isPresent()) {
            try {
                agent = AgentMode.parse(uri.param("agent").get());
            } catch (VirtException e) {
                throw new VirtException(ErrorCode.NO_CONNECT, "test driver URI '" + uri + "': " + e.getMessage(), e);
            }
        }
        return new TestDriver.Options(Duration.ofMillis(saveDelay), jobs, agent);
    }

    private static long millis(VirtUri uri, String name, long dflt) {
        String v = uri.param(name).orElse(null);
        if (v == null) {
            return dflt;
        }
        try {
            long n = Long.parseLong(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new VirtException(ErrorCode.NO_CONNECT, "test driver URI '" + uri + "': " + name
                + " must be a whole number of milliseconds >= 0, got '" + v + "'");
    }
}

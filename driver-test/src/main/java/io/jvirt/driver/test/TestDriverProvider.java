package io.jvirt.driver.test;

import com.google.auto.service.AutoService;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.driver.test.agent.AgentMode;
import io.jvirt.spi.DriverContext;
import io.jvirt.spi.DriverProvider;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.spi.VirtUri;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code test} driver's entry point. Accepts {@code test:///default} (a fresh in-memory host
 * with the predefined domain {@code test}) and {@code test:///ABSOLUTE/PATH.xml} (a host loaded
 * from a node description, see {@link TestNode}). Each open gives an independent host.
 *
 * <p>The query parameter {@code agent=on|silent|none} sets how the guest agents of the host's
 * domains behave ({@link AgentMode}; default {@code on}); per domain,
 * {@link io.jvirt.driver.test.agent.TestDriverControl} (reached with {@code connection.unwrap})
 * changes it.
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
        String path = uri.path();
        AgentMode agent = AgentMode.ON;
        String query = "";
        if (uri.param("agent").isPresent()) {
            try {
                agent = AgentMode.parse(uri.param("agent").get());
            } catch (VirtException e) {
                throw new VirtException(ErrorCode.NO_CONNECT, "test driver URI '" + uri + "': " + e.getMessage(), e);
            }
            query = "?agent=" + agent.wireName();
        }
        if (path.equals(DEFAULT_PATH)) {
            return new TestDriver("test:///default" + query, TestNode.defaultNode(), context.events(), agent);
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
            return new TestDriver("test://" + path + query, node, context.events(), agent);
        } catch (VirtException e) {
            throw new VirtException(e.code(), "cannot load test node description " + file + ": " + e.getMessage(), e);
        }
    }
}

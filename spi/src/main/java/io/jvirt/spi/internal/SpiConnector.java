package io.jvirt.spi.internal;

import com.google.auto.service.AutoService;
import io.jvirt.api.Connection;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.api.internal.Connector;
import io.jvirt.spi.DriverContext;
import io.jvirt.spi.DriverProvider;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.spi.VirtUri;
import io.jvirt.spi.event.EventDispatcher;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The one {@link Connector}: parses the URI, finds every {@link DriverProvider} with
 * {@link ServiceLoader}, and opens the first that accepts the URI, wrapping its driver in a generic
 * {@link SpiConnection} with its own event dispatcher.
 */
@AutoService(Connector.class)
public final class SpiConnector implements Connector {
    private static final System.Logger LOG = System.getLogger(SpiConnector.class.getName());

    /** Public no-argument constructor for {@link ServiceLoader}. */
    public SpiConnector() {
    }

    @Override
    public Connection open(String uri) {
        VirtUri parsed = VirtUri.parse(uri);
        List<String> found = new ArrayList<>();
        for (DriverProvider provider : providers()) {
            found.add(provider.name());
            if (provider.accepts(parsed)) {
                return openWith(provider, parsed);
            }
        }
        throw new VirtException(ErrorCode.NO_CONNECT, "no connection driver available for '" + uri
                + "' (drivers found: " + (found.isEmpty() ? "none" : String.join(", ", found)) + ")");
    }

    /** Opens {@code uri} with {@code provider}, giving it a fresh dispatcher. */
    public static Connection openWith(DriverProvider provider, VirtUri uri) {
        EventDispatcher dispatcher = new EventDispatcher(provider.name());
        try {
            HypervisorDriver driver = provider.open(uri, new DriverContext(dispatcher));
            if (driver == null) {
                throw new VirtException(ErrorCode.INTERNAL_ERROR, "driver '" + provider.name()
                        + "' returned no driver instance for '" + uri + "'");
            }
            return new SpiConnection(driver, dispatcher);
        } catch (RuntimeException | Error e) {
            dispatcher.close();
            throw e;
        }
    }

    /** Every provider on the class path, in ServiceLoader order; broken ones are logged and skipped. */
    static List<DriverProvider> providers() {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        if (cl == null) {
            cl = SpiConnector.class.getClassLoader();
        }
        List<DriverProvider> out = new ArrayList<>();
        Iterator<DriverProvider> it = ServiceLoader.load(DriverProvider.class, cl).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                out.add(it.next());
            } catch (ServiceConfigurationError e) {
                LOG.log(Level.WARNING, "skipping a driver that failed to load: " + e.getMessage(), e);
            }
        }
        return out;
    }
}

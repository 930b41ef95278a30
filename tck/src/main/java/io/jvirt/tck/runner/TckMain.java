package io.jvirt.tck.runner;

import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The runnable TCK: runs every suite against a driver on the class path, without writing test
 * classes.
 * <pre>
 * java -cp jvirt-tck.jar:JUNIT_JARS:jvirt-api.jar:jvirt-spi.jar:MY_DRIVER.jar \
 *     io.jvirt.tck.runner.TckMain --uri mydrv:///x --domain-xml template.xml [--suite Lifecycle]...
 * </pre>
 * Exit status: 0 when every test passed, 1 when one failed, 2 for bad arguments.
 */
public final class TckMain {
    /** The suites by short name. */
    public static final Map<String, Class<?>> SUITES = Map.of(
            "Connection", ConfiguredConnectionSuite.class,
            "Lifecycle", ConfiguredLifecycleSuite.class,
            "Events", ConfiguredEventsSuite.class,
            "XmlRoundTrip", ConfiguredXmlRoundTripSuite.class,
            "Feature", ConfiguredFeatureSuite.class);

    private TckMain() {
    }

    /** Runs the TCK with {@code args} and exits with its status. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the TCK as {@link #main} does and returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        String uri = null;
        String xml = null;
        List<String> suites = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length || !List.of("--uri", "--domain-xml", "--suite").contains(a)) {
                err.println("usage: TckMain --uri URI --domain-xml FILE [--suite " + String.join("|", SUITES.keySet())
                        + "]...   (unknown or incomplete argument '" + a + "')");
                return 2;
            }
            String v = args[++i];
            switch (a) {
                case "--uri" -> uri = v;
                case "--domain-xml" -> xml = v;
                default -> suites.add(v);
            }
        }
        if (uri == null || xml == null) {
            err.println("usage: TckMain --uri URI --domain-xml FILE [--suite NAME]...   (--uri and --domain-xml are required)");
            return 2;
        }
        if (!Files.isReadable(Path.of(xml))) {
            err.println("error: cannot read the domain template " + xml);
            return 2;
        }
        if (suites.isEmpty()) {
            suites.addAll(List.of("Connection", "Lifecycle", "Events", "XmlRoundTrip", "Feature"));
        }
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
        for (String s : suites) {
            Class<?> c = SUITES.get(s);
            if (c == null) {
                err.println("error: no suite '" + s + "' (suites: " + String.join(", ", SUITES.keySet()) + ")");
                return 2;
            }
            request.selectors(DiscoverySelectors.selectClass(c));
        }
        String oldUri = System.setProperty(TckConfig.URI, uri);
        String oldXml = System.setProperty(TckConfig.DOMAIN_XML, xml);
        try {
            LauncherDiscoveryRequest req = request.build();
            Launcher launcher = LauncherFactory.create();
            SummaryGeneratingListener listener = new SummaryGeneratingListener();
            launcher.execute(req, listener);
            TestExecutionSummary summary = listener.getSummary();
            PrintWriter w = new PrintWriter(out, true);
            summary.printTo(w);
            summary.printFailuresTo(w, 20);
            w.flush();
            out.println("jvirt TCK on " + uri + ": " + summary.getTestsSucceededCount() + " passed, "
                    + summary.getTotalFailureCount() + " failed, " + summary.getTestsSkippedCount() + " skipped");
            return summary.getTotalFailureCount() == 0 && summary.getTestsFoundCount() > 0 ? 0 : 1;
        } finally {
            restore(TckConfig.URI, oldUri);
            restore(TckConfig.DOMAIN_XML, oldXml);
        }
    }

    private static void restore(String key, String old) {
        if (old == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, old);
        }
    }
}

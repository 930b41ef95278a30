package io.jvirt.tck;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Feature;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The base of every TCK suite. A driver's test class extends a suite and says how to reach the
 * driver ({@link #openConnection()}) and what a minimal domain of its own looks like
 * ({@link #domainXml(String)}); the suite takes its features from the connection's capabilities.
 *
 * <p>Each test gets a fresh connection in {@link #conn}. Domains the suites make are named
 * {@code tck-…} and are destroyed and undefined after each test, also when it fails.
 *
 * <p>The rule the suites apply everywhere: for a feature the driver does not claim, the call
 * fails with {@link ErrorCode#NO_SUPPORT} — never a silent skip, never another error.
 */
@Timeout(120)
public abstract class TckBase {
    private static final System.Logger LOG = System.getLogger(TckBase.class.getName());
    private static final AtomicInteger SEQ = new AtomicInteger();

    /** The connection of the running test. */
    protected Connection conn;
    private final List<Connection> extra = new ArrayList<>();

    /** Opens a new connection to the driver under test (each call an independent connection). */
    protected abstract Connection openConnection();

    /**
     * A minimal definition of a domain named {@code name} that this driver can define, start and
     * destroy: e.g. {@code <domain type='test'>…} for the test driver, {@code <domain type='qemu'>…}
     * with a tiny guest for QEMU. It may carry a {@code <uuid>}; the suites replace it when they
     * need a particular one.
     */
    protected abstract String domainXml(String name);

    private Set<Feature> claimed;

    /** The features the driver claims; by default what its capabilities say. */
    protected Set<Feature> features() {
        return conn.capabilities().features();
    }

    /** Whether the driver claims {@code feature} (asked once per test). */
    protected final boolean claims(Feature feature) {
        if (claimed == null) {
            claimed = Set.copyOf(features());
        }
        return claimed.contains(feature);
    }

    /** How long a graceful shutdown may take before the suites give up. */
    protected Duration shutdownTimeout() {
        return Duration.ofSeconds(60);
    }

    @BeforeEach
    final void openTckConnection() {
        claimed = null;
        conn = openConnection();
    }

    @AfterEach
    final void closeTckConnection() {
        try {
            if (conn != null && conn.isAlive()) {
                cleanUp(conn);
            }
        } finally {
            for (Connection c : extra) {
                if (c.isAlive()) {
                    cleanUp(c);
                }
                c.close();
            }
            extra.clear();
            if (conn != null) {
                conn.close();
            }
        }
    }

    /** A second connection to the driver (a migration destination), closed after the test. */
    protected final Connection openExtraConnection() {
        Connection c = openConnection();
        extra.add(c);
        return c;
    }

    private static void cleanUp(Connection c) {
        for (Domain d : c.listDomains()) {
            if (!d.name().startsWith("tck-")) {
                continue;
            }
            try {
                if (d.isActive()) {
                    d.destroy();
                }
            } catch (VirtException e) {
                LOG.log(Level.DEBUG, "clean-up destroy of " + d.name() + ": " + e.getMessage());
            }
            try {
                if (d.isPersistent()) {
                    // the clean-up deletes whatever a failed test left behind
                    d.undefine(io.jvirt.api.UndefineOption.values());
                }
            } catch (VirtException e) {
                LOG.log(Level.DEBUG, "clean-up undefine of " + d.name() + ": " + e.getMessage());
            }
        }
    }

    // ---- helpers for suites ----

    /** A fresh domain name, {@code tck-STEM-N}. */
    protected static String name(String stem) {
        return "tck-" + stem + "-" + SEQ.incrementAndGet();
    }

    /** The driver's minimal definition, parsed. */
    protected final DomainDef def(String name) {
        return DomainXml.parse(domainXml(name));
    }

    /** The driver's minimal definition with {@code uuid}, as XML. */
    protected final String domainXml(String name, UUID uuid) {
        return DomainXml.format(def(name).withUuid(uuid));
    }

    /** The domain type the driver's definitions use ({@code test}, {@code qemu}, …). */
    protected final String domainType() {
        return def("tck-probe").type();
    }

    /** Asserts {@code call} fails with {@code code}; returns the exception. */
    protected static VirtException assertFails(ErrorCode code, Executable call) {
        VirtException e = assertThrows(VirtException.class, call);
        assertEquals(code, e.code(), () -> "expected " + code + " but got " + e.code() + ": " + e.getMessage());
        return e;
    }

    /**
     * Asserts {@code call} fails with {@code ifClaimed} when the driver claims {@code feature},
     * and with {@code NO_SUPPORT} when it does not.
     */
    protected final VirtException assertFailsOrNoSupport(Feature feature, ErrorCode ifClaimed, Executable call) {
        return assertFails(claims(feature) ? ifClaimed : ErrorCode.NO_SUPPORT, call);
    }

    /** Waits (polling) until {@code condition} holds, failing after {@code timeout}. */
    protected static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 1;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
            pause = Math.min(pause * 2, 200);
        }
    }
}

package io.jvirt.tck;

import io.jvirt.api.Capabilities;
import io.jvirt.api.Connection;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What every connection promises: identity, capabilities, lookups, close, unknown URIs. */
public abstract class ConnectionSuite extends TckBase {
    @Test
    public void identifiesItself() {
        assertTrue(conn.isAlive());
        assertFalse(conn.uri().isBlank(), "uri");
        assertTrue(conn.uri().contains("://") || conn.uri().contains(":"), conn.uri());
        assertFalse(conn.driverName().isBlank(), "driverName");
        assertNotNull(conn.version());
        assertEquals(Virt.libraryVersion(), conn.libraryVersion());
    }

    @Test
    public void uriReopens() {
        try (Connection again = Virt.open(conn.uri())) {
            assertEquals(conn.driverName(), again.driverName());
            assertEquals(conn.uri(), again.uri());
        }
    }

    @Test
    public void capabilitiesDescribeHostGuestsAndFeatures() {
        Capabilities caps = conn.capabilities();
        assertTrue(caps.host().cpus() > 0, "host cpus");
        assertTrue(caps.host().memoryKiB() > 0, "host memory");
        assertFalse(caps.host().arch().isBlank(), "host arch");
        assertFalse(caps.guests().isEmpty(), "guest kinds");
        String type = domainType();
        assertTrue(caps.guests().stream().anyMatch(g -> g.domainTypes().contains(type)),
                "no guest kind offers the domain type '" + type + "' of the driver's own definitions");
        assertFalse(caps.features().isEmpty(), "a driver claims at least one feature");
        assertEquals(caps.features(), features());
    }

    @Test
    public void missingDomainsAreNoDomain() {
        assertFails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainByName("tck-no-such-domain"));
        assertFails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainByUuid(UUID.randomUUID()));
        assertFails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainById(Integer.MAX_VALUE - 7));
    }

    @Test
    public void unknownSchemeIsNoConnectNamingUriAndDrivers() {
        VirtException e = assertFails(ErrorCode.NO_CONNECT, () -> Virt.open("nope:///x"));
        assertTrue(e.getMessage().contains("'nope:///x'"), e.getMessage());
        String scheme = conn.uri().substring(0, conn.uri().indexOf(':'));
        assertTrue(e.getMessage().contains(scheme), "the drivers found should include '" + scheme + "': "
                + e.getMessage());
    }

    @Test
    public void unwrapGivesTheConnectionOrNoSupport() {
        assertSame(conn, conn.unwrap(Connection.class));
        assertTrue(conn.isWrapperFor(Connection.class));
        assertFalse(conn.isWrapperFor(StringBuilder.class));
        assertFails(ErrorCode.NO_SUPPORT, () -> conn.unwrap(StringBuilder.class));
    }

    @Test
    public void closeEndsTheConnection() {
        Connection c = openConnection();
        var domains = c.listDomains();
        c.close();
        c.close();
        assertFalse(c.isAlive());
        assertFails(ErrorCode.INVALID_CONN, c::listDomains);
        assertFails(ErrorCode.INVALID_CONN, () -> c.lookupDomainByName("x"));
        assertFails(ErrorCode.INVALID_CONN, () -> c.defineDomain(domainXml(name("closed"))));
        assertFails(ErrorCode.INVALID_CONN, c::capabilities);
        for (var d : domains) {
            assertFails(ErrorCode.INVALID_CONN, d::state);
        }
    }

    @Test
    public void emptyUriIsInvalidArg() {
        assertEquals(ErrorCode.INVALID_ARG, assertThrows(VirtException.class, () -> Virt.open(" ")).code());
    }
}

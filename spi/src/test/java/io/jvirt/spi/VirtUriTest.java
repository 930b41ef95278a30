package io.jvirt.spi;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtUriTest {
    @Test
    void localDriverUri() {
        VirtUri u = VirtUri.parse("test:///default");
        assertEquals("test", u.driver());
        assertEquals("", u.transport());
        assertEquals("", u.host());
        assertEquals("/default", u.path());
        assertTrue(u.query().isEmpty());
        assertTrue(u.isLocal());
        assertEquals("test:///default", u.toString());
    }

    @Test
    void transportHostAndQuery() {
        VirtUri u = VirtUri.parse("qemu+ssh://root@host.example/system?keyfile=%2Ftmp%2Fk&no_verify=1");
        assertEquals("qemu", u.driver());
        assertEquals("ssh", u.transport());
        assertEquals("host.example", u.host());
        assertEquals("/system", u.path());
        assertEquals(Map.of("keyfile", "/tmp/k", "no_verify", "1"), u.query());
        assertEquals("/tmp/k", u.param("keyfile").orElseThrow());
        assertFalse(u.isLocal());
    }

    @Test
    void embedRootQueryKeepsOrderAndDecodes() {
        VirtUri u = VirtUri.parse("qemu:///embed?root=/tmp/a%20b&x");
        assertEquals("/embed", u.path());
        assertEquals("/tmp/a b", u.param("root").orElseThrow());
        assertEquals("", u.param("x").orElseThrow());
        assertEquals(java.util.List.of("root", "x"), java.util.List.copyOf(u.query().keySet()));
    }

    @Test
    void schemeIsLowerCasedAndAbsolutePathKept() {
        VirtUri u = VirtUri.parse("TEST:///tmp/node.xml");
        assertEquals("test", u.driver());
        assertEquals("/tmp/node.xml", u.path());
    }

    @Test
    void opaqueFormTreatsRestAsPath() {
        assertEquals("default", VirtUri.parse("test:default").path());
    }

    @Test
    void localhostIsLocal() {
        assertTrue(VirtUri.parse("qemu://localhost/session").isLocal());
    }

    @Test
    void missingSchemeIsInvalidArg() {
        VirtException e = assertThrows(VirtException.class, () -> VirtUri.parse("/just/a/path"));
        assertEquals(ErrorCode.INVALID_ARG, e.code());
        assertTrue(e.getMessage().contains("/just/a/path"), e.getMessage());
    }

    @Test
    void malformedIsInvalidArg() {
        VirtException e = assertThrows(VirtException.class, () -> VirtUri.parse("qemu://bad host/x"));
        assertEquals(ErrorCode.INVALID_ARG, e.code());
        assertTrue(e.getMessage().contains("malformed"), e.getMessage());
    }
}

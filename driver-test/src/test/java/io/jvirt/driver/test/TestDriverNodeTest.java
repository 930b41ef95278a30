package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code test:///PATH}: hosts loaded from a node description. */
@Timeout(30)
class TestDriverNodeTest {
    @TempDir
    Path dir;

    private static String dom(String name, String extra) {
        return "<domain type='test'><name>" + name + "</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
                + "<os><type>hvm</type></os>" + extra + "</domain>";
    }

    private Path node(String body) throws IOException {
        Path f = dir.resolve("node.xml");
        Files.writeString(f, "<?xml version='1.0'?>\n<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n"
                + body + "\n</node>\n");
        return f;
    }

    private static VirtException refused(Path f) {
        VirtException e = assertThrows(VirtException.class, () -> Virt.open("test://" + f));
        assertEquals(ErrorCode.NO_CONNECT, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        return e;
    }

    @Test
    void loadsDomainsWithStatesHostFactsAndFileReferences() throws Exception {
        Files.writeString(dir.resolve("d.xml"), dom("from-file", ""));
        Path f = node("""
                <cpu><mhz>6000</mhz><model>i986</model><nodes>1</nodes><sockets>2</sockets><cores>2</cores><threads>2</threads></cpu>
                <memory>4194304</memory>
                <network><name>default</name></network>
                """ + dom("alpha", "") + "\n"
                + dom("bravo", "<test:runstate>5</test:runstate>") + "\n"
                + dom("charlie", "<test:runstate>3</test:runstate>") + "\n"
                + "<domain file='d.xml'/>");
        try (Connection c = Virt.open("test://" + f)) {
            assertEquals("test://" + f, c.uri());
            assertEquals(8, c.capabilities().host().cpus());
            assertEquals(4194304, c.capabilities().host().memoryKiB());
            List<Domain> all = c.listDomains();
            assertEquals(List.of("alpha", "charlie", "from-file", "bravo"), all.stream().map(Domain::name).toList());
            assertEquals(DomainState.RUNNING, c.lookupDomainByName("alpha").state().state());
            assertEquals(1, c.lookupDomainByName("alpha").id());
            assertEquals(DomainState.PAUSED, c.lookupDomainByName("charlie").state().state());
            assertEquals(2, c.lookupDomainByName("charlie").id());
            assertEquals(3, c.lookupDomainByName("from-file").id());
            Domain bravo = c.lookupDomainByName("bravo");
            assertFalse(bravo.isActive());
            assertTrue(bravo.isPersistent());
            assertFalse(bravo.xml().contains("runstate"), bravo.xml());
            bravo.start();
            assertEquals(4, bravo.id());
        }
    }

    @Test
    void emptyNodeIsAnEmptyHost() throws Exception {
        try (Connection c = Virt.open("test://" + node(""))) {
            assertTrue(c.listDomains().isEmpty());
            assertEquals(16, c.capabilities().host().cpus());
        }
    }

    @Test
    void malformedNodeIsRefusedWithTheFileName() throws Exception {
        Path f = dir.resolve("broken.xml");
        Files.writeString(f, "<node><domain type='test'>");
        assertTrue(refused(f).getMessage().contains("malformed XML"));
    }

    @Test
    void dtdAndExternalEntitiesAreRefused() throws Exception {
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "top secret");
        Path f = dir.resolve("xxe.xml");
        Files.writeString(f, "<?xml version='1.0'?>\n<!DOCTYPE node [<!ENTITY x SYSTEM 'file://" + secret + "'>]>\n"
                + "<node>" + dom("&x;", "") + "</node>");
        VirtException e = refused(f);
        assertFalse(e.getMessage().contains("top secret"));
    }

    @Test
    void wrongRootBadRunstateAndWrongTypeAreRefused() throws Exception {
        Path f = dir.resolve("root.xml");
        Files.writeString(f, dom("x", ""));
        assertTrue(refused(f).getMessage().contains("expected <node>"));
        assertTrue(refused(node(dom("x", "<test:runstate>9</test:runstate>"))).getMessage().contains("runstate 9"));
        assertTrue(refused(node(dom("x", "<test:runstate>up</test:runstate>"))).getMessage().contains("'up'"));
        VirtException e = assertThrows(VirtException.class,
                () -> Virt.open("test://" + node(dom("x", "").replace("type='test'", "type='kvm'"))));
        assertEquals(ErrorCode.CONFIG_UNSUPPORTED, e.code());
    }

    @Test
    void invalidDomainIsRefusedNamingIt() throws Exception {
        VirtException e = refused(node(dom("ok", "") + dom("bad/name", "")));
        assertTrue(e.getMessage().contains("domain #2"), e.getMessage());
    }

    @Test
    void duplicateNamesAreRefused() throws Exception {
        Path f = node(dom("a", "") + dom("a", ""));
        VirtException e = assertThrows(VirtException.class, () -> Virt.open("test://" + f));
        assertEquals(ErrorCode.DOMAIN_EXISTS, e.code());
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("'a'"), e.getMessage());
        String same = dom("b", "<uuid>7d3b4a52-51a5-4f7e-9d0a-0c7f3c1e2b11</uuid>");
        Path g = node(same + same);
        e = assertThrows(VirtException.class, () -> Virt.open("test://" + g));
        assertEquals(ErrorCode.DOMAIN_EXISTS, e.code());
        assertTrue(e.getMessage().contains("described twice"), e.getMessage());
    }

    @Test
    void sameFileGivesIndependentHosts() throws Exception {
        Path f = node(dom("alpha", ""));
        try (Connection a = Virt.open("test://" + f); Connection b = Virt.open("test://" + f)) {
            a.lookupDomainByName("alpha").destroy();
            assertTrue(b.lookupDomainByName("alpha").isActive());
        }
    }
}

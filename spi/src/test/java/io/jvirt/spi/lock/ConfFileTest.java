package io.jvirt.spi.lock;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfFileTest {
    @Test
    void parsesStringsIntegersListsAndComments() {
        ConfFile c = ConfFile.parse("qemu-lockd.conf", """
                # lockd settings
                file_lockspace_dir = "/var/lib/jvirt/lockd/files"   # trailing comment
                auto_disk_leases = 0
                require_lease_for_disks=1
                offset = -42
                names = [ "a",
                          # comment inside a list
                          'b', ]
                empty = []
                """);
        assertEquals("/var/lib/jvirt/lockd/files", c.getString("file_lockspace_dir", null));
        assertFalse(c.getBoolean("auto_disk_leases", true));
        assertTrue(c.getBoolean("require_lease_for_disks", false));
        assertEquals(-42, c.getLong("offset", 0));
        assertEquals(List.of("a", "b"), c.getStringList("names", null));
        assertEquals(List.of(), c.getStringList("empty", null));
        assertEquals("dflt", c.getString("socket", "dflt"));
    }

    @Test
    void syntaxErrorsNameFileAndLine() {
        assertError("f.conf:2: expected '=' after 'socket'", "a = 1\nsocket \"x\"\n");
        assertError("f.conf:1: unterminated string", "socket = \"/run/x\n");
        assertError("f.conf:3: unterminated list", "a = 1\n\nb = [ \"x\",\n");
        assertError("f.conf:1: expected a value", "a = yes\n");
        assertError("f.conf:1: unexpected 'x'", "a = 1 x\n");
        assertError("f.conf:2: setting 'a' given twice (first on line 1)", "a = 1\na = 2\n");
        assertError("f.conf:1: expected a setting name", "= 1\n");
    }

    @Test
    void typeErrorsNameFileAndLine() {
        ConfFile c = ConfFile.parse("f.conf", "\nsocket = 1\nflag = 2\nlist = [ 1 ]\n");
        VirtException e = assertThrows(VirtException.class, () -> c.getString("socket", null));
        assertEquals(ErrorCode.INVALID_ARG, e.code());
        assertTrue(e.getMessage().startsWith("f.conf:2: setting 'socket' must be a string"), e.getMessage());
        assertTrue(assertThrows(VirtException.class, () -> c.getBoolean("flag", false)).getMessage()
                .startsWith("f.conf:3: setting 'flag' must be 0 or 1"));
        assertTrue(assertThrows(VirtException.class, () -> c.getStringList("list", null)).getMessage()
                .startsWith("f.conf:4:"));
        assertTrue(assertThrows(VirtException.class, () -> c.requireKnown(Set.of("socket", "flag"))).getMessage()
                .startsWith("f.conf:4: unknown setting 'list'"));
    }

    @Test
    void programmaticSettings() {
        ConfFile c = ConfFile.of("test", Map.of("a", true, "b", 3, "c", List.of("x")));
        assertTrue(c.getBoolean("a", false));
        assertEquals(3, c.getLong("b", 0));
        assertEquals(List.of("x"), c.getStringList("c", null));
    }

    private static void assertError(String prefix, String text) {
        VirtException e = assertThrows(VirtException.class, () -> ConfFile.parse("f.conf", text));
        assertEquals(ErrorCode.INVALID_ARG, e.code());
        assertTrue(e.getMessage().startsWith(prefix), () -> "expected '" + prefix + "' but got '" + e.getMessage() + "'");
    }
}

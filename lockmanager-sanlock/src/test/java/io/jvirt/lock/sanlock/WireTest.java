package io.jvirt.lock.sanlock;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WireTest {

    @Test
    void headerIsEightLittleEndianWords() {
        byte[] h = Wire.header(Wire.CMD_ACQUIRE, 0x5, 100, 2, 1234);
        assertEquals(32, h.length);
        assertArrayEquals(new byte[] {0x10, 0x20, 0x28, 0x04}, java.util.Arrays.copyOf(h, 4), "magic 0x04282010, LE");
        Wire.Header p = Wire.parseHeader(h);
        assertEquals(new Wire.Header(Wire.MAGIC, Wire.PROTO, 7, 5, 132, 0, 2, 1234), p);
        assertEquals(-1, Wire.parseHeader(Wire.header(Wire.CMD_RESTRICT, 0, 0, 0, Wire.SELF)).data2());
    }

    @Test
    void structLayouts() {
        assertEquals(1040, Wire.DISK_LEN);
        assertEquals(128, Wire.RESOURCE_LEN);
        assertEquals(1104, Wire.LOCKSPACE_LEN);
        assertEquals(56, Wire.OPTIONS_LEN);
        byte[] r = Wire.resource(new Wire.Resource("LS", "NAME", 7, Wire.RES_SHARED | Wire.RES_LVER,
                List.of(new Wire.Disk("/leases/x", 1048576))));
        assertEquals(128 + 1040, r.length);
        ByteBuffer b = ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals('L', b.get(0));
        assertEquals('N', b.get(48));
        assertEquals(7, b.getLong(96));
        assertEquals(Wire.RES_SHARED | Wire.RES_LVER, b.getInt(120));
        assertEquals(1, b.getInt(124));
        assertEquals('/', b.get(128));
        assertEquals(0, b.get(128 + 9), "path NUL-terminated");
        assertEquals(1048576, b.getLong(128 + 1024));
        byte[] ls = Wire.lockspace("LS", 3, 0, new Wire.Disk("/leases/ls", 0));
        ByteBuffer l = ByteBuffer.wrap(ls).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(3, l.getLong(48));
        assertEquals('/', l.get(64), "disk after 4 bytes of padding");
    }

    @Test
    void namesAndPathsMustFit() {
        assertThrows(IllegalArgumentException.class, () -> Wire.checkName("x".repeat(49), "name"));
        Wire.checkName("x".repeat(48), "name");
        assertThrows(IllegalArgumentException.class, () -> Wire.checkPath("/" + "p".repeat(1023), "path"));
        assertThrows(IllegalArgumentException.class, () -> Wire.checkName("a\0b", "name"));
    }

    @Test
    void stateStringsSplitOnUnescapedSeparators() {
        String s = "LS:abc:/leases/with\\ space\\:colon:0:12 LS:def:/leases/d:0:SH";
        List<String> entries = SanlockState.entries(s);
        assertEquals(2, entries.size());
        assertEquals(List.of("LS", "abc", "/leases/with space:colon", "0", "12"), SanlockState.fields(entries.get(0)));
        assertEquals("SH", SanlockState.fields(entries.get(1)).getLast());
        assertEquals(List.of(), SanlockState.entries(""));
    }
}

package io.jvirt.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TableJsonTest {
    @Test
    void tableMatchesVirshLayout() {
        StringWriter sw = new StringWriter();
        new Table("Id", "Name", "State")
                .row("1", "fedora28", "running")
                .row("-", "f29", "shut off")
                .print(new PrintWriter(sw, true));
        assertEquals("""
                 Id   Name       State
                ---------------------------
                 1    fedora28   running
                 -    f29        shut off
                """, sw.toString());
    }

    @Test
    void emptyTableHasHeaderAndDashes() {
        StringWriter sw = new StringWriter();
        new Table("Id", "Name", "State").print(new PrintWriter(sw, true));
        assertEquals(" Id   Name   State\n--------------------\n", sw.toString());
    }

    @Test
    void jsonEscapesAndNests() {
        Map<String, Object> o = Json.object();
        o.put("s", "a\"b\\c\n\u0001é");
        o.put("n", 42);
        o.put("d", 1.5);
        o.put("whole", 2.0);
        o.put("t", true);
        o.put("z", null);
        o.put("l", List.of(1, "x"));
        o.put("e", List.of());
        o.put("m", Map.of());
        assertEquals("""
                {
                  "s": "a\\"b\\\\c\\n\\u0001é",
                  "n": 42,
                  "d": 1.5,
                  "whole": 2,
                  "t": true,
                  "z": null,
                  "l": [
                    1,
                    "x"
                  ],
                  "e": [],
                  "m": {}
                }""", Json.write(o));
        assertEquals("[\n  null\n]", Json.write(Arrays.asList((Object) null)));
    }

    @Test
    void capacityScalesLikeVirsh() {
        assertEquals("0.000 B", JobCommands.capacity(0));
        assertEquals("1023.000 B", JobCommands.capacity(1023));
        assertEquals("1.000 KiB", JobCommands.capacity(1024));
        assertEquals("1.500 GiB", JobCommands.capacity(3L << 29));
    }

    @Test
    void oneLineFoldsNewlines() {
        assertEquals("a b c", Jvirsh.oneLine("a\n  b\r\nc\n"));
    }
}

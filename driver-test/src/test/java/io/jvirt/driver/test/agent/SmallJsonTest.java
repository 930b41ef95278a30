package io.jvirt.driver.test.agent;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SmallJsonTest {
    @Test
    void readsValues() throws Exception {
        assertEquals(Map.of("a", List.of(1L, -2L, 2.5, true, false), "b", "x\"y\\z\nA\u00e9"),
                SmallJson.parse(" {\"a\":[1,-2,2.5,true,false],\"b\":\"x\\\"y\\\\z\\nA\\u00e9\"} "));
        assertEquals(null, SmallJson.parse("null"));
        assertEquals(Map.of(), SmallJson.parse("{}"));
        assertEquals(List.of(), SmallJson.parse("[ ]"));
    }

    @Test
    void refusesMalformedTextSayingWhere() {
        for (String bad : List.of("", "{", "{\"a\"}", "{\"a\":1,}", "[1 2]", "\"open", "tru", "{a:1}", "1 2",
                "\"\\q\"", "\"\\u12\"", "-", "[" .repeat(40))) {
            var e = assertThrows(SmallJson.MalformedException.class, () -> SmallJson.parse(bad), bad);
            assertTrue(e.getMessage().contains("offset"), e.getMessage());
        }
    }

    @Test
    void quotesRoundTrip() throws Exception {
        String s = "tab\tquote\"back\\slash\u0001";
        assertEquals(s, SmallJson.parse(SmallJson.quote(s)));
    }
}

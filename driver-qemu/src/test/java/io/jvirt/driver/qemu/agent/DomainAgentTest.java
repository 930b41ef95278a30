package io.jvirt.driver.qemu.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Routing of monitor events into the domain's agent client, and its lifecycle notifications (no QEMU). */
@Timeout(30)
class DomainAgentTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static DomainDef live() {
        return DomainXml.parse("""
                <domain type='qemu'>
                  <name>x</name>
                  <memory unit='MiB'>128</memory>
                  <os><type arch='x86_64'>hvm</type></os>
                  <devices>
                    <channel type='unix'><source mode='bind' path='/tmp/other.sock'/><target type='virtio' name='org.example.other'/><alias name='channel0'/></channel>
                    <channel type='unix'><source mode='bind' path='/tmp/ga.sock'/><target type='virtio' name='org.qemu.guest_agent.0'/><alias name='channel1'/></channel>
                  </devices>
                </domain>""");
    }

    @Test
    void portEventsOfTheAgentChannelOnlyChangeTheState() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        DomainAgent a = DomainAgent.of(live(), Path.of("/nonexistent/ga.sock"), (c, why) -> seen.add(c + ":" + why));
        assertEquals("channel1", a.portId());
        a.onMonitorEvent("VSERPORT_CHANGE", JSON.readTree("{\"id\":\"channel0\",\"open\":true}"));
        assertEquals(AgentClient.PortState.UNKNOWN, a.client().portState(), "another channel's port is ignored");
        a.onMonitorEvent("VSERPORT_CHANGE", JSON.readTree("{\"id\":\"channel1\",\"open\":true}"));
        assertEquals(AgentClient.PortState.OPEN, a.client().portState());
        a.onMonitorEvent("VSERPORT_CHANGE", JSON.readTree("{\"id\":\"channel1\",\"open\":true}"));
        a.onMonitorEvent("VSERPORT_CHANGE", JSON.readTree("{\"id\":\"channel1\",\"open\":false}"));
        assertEquals(AgentClient.PortState.CLOSED, a.client().portState());
        long t0 = System.nanoTime();
        VirtException e = assertThrows(VirtException.class,
                () -> a.client().execute("guest-ping", null, AgentTimeout.DEFAULT));
        assertEquals(ErrorCode.AGENT_UNRESPONSIVE, e.code());
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "a closed port fails at once");
        a.onMonitorEvent("VSERPORT_CHANGE", JSON.readTree("{\"id\":\"channel1\",\"open\":true}"));
        a.onMonitorEvent("SHUTDOWN", JSON.readTree("{}"));
        a.onMonitorEvent("RESET", JSON.readTree("{}"));
        a.close();
        assertEquals(List.of("true:port opened", "false:port closed", "true:port opened", "false:domain stopped"), seen,
                "one event per change; closing a connected agent says disconnected");
    }

    @Test
    void closingAnAgentThatNeverConnectedSaysNothing() {
        List<String> seen = new CopyOnWriteArrayList<>();
        DomainAgent a = DomainAgent.of(live(), Path.of("/nonexistent/ga.sock"), (c, why) -> seen.add(c + ":" + why));
        a.close();
        DomainAgent b = DomainAgent.of(live(), Path.of("/nonexistent/ga.sock"), (c, why) -> seen.add(c + ":" + why));
        b.onMonitorEvent("VSERPORT_CHANGE", new ObjectMapper().createObjectNode().put("id", "channel1").put("open", true));
        b.detach();
        assertEquals(List.of("true:port opened"), seen, "detach (driver closing, QEMU running) emits nothing");
    }

    @Test
    void noSocketMeansNoAgent() {
        assertNull(DomainAgent.of(live(), null, (c, why) -> { }));
    }
}

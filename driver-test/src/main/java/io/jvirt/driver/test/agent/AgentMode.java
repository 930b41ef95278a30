package io.jvirt.driver.test.agent;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.util.Locale;

/**
 * How a test domain's fake guest agent behaves. Chosen per connection with the URI parameter
 * {@code agent} ({@code test:///default?agent=silent}) or per domain through
 * {@link TestDriverControl#setAgentMode}.
 */
public enum AgentMode {
    /** The agent is connected and answers every command at once (the default). */
    ON,
    /** The agent is connected but never answers: each command fails with {@code AGENT_UNRESPONSIVE} after its timeout. */
    SILENT,
    /** No agent runs in the guest: each command fails at once with {@code AGENT_UNRESPONSIVE}. */
    NONE;

    /** The URI spelling: {@code on}, {@code silent}, {@code none}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses the URI spelling.
     *
     * @throws VirtException {@code INVALID_ARG} naming the value and the accepted ones
     */
    public static AgentMode parse(String text) {
        for (AgentMode m : values()) {
            if (m.wireName().equals(text)) {
                return m;
            }
        }
        throw new VirtException(ErrorCode.INVALID_ARG, "unknown guest agent mode '" + text
                + "': expected 'on', 'silent' or 'none'");
    }
}

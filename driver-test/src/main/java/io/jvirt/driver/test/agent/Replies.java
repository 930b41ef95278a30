package io.jvirt.driver.test.agent;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The fake agent's argument checks and failures, with qemu-ga's error classes and wording. */
final class Replies {
    private Replies() {
    }


    static Long number(String cmd, Map<?, ?> args, String key, boolean required) {
        Object v = args.get(key);
        if (v == null) {
            if (required) {
                throw refused(cmd, "GenericError", "Parameter '" + key + "' is missing");
            }
            return null;
        }
        if (!(v instanceof Long l)) {
            throw refused(cmd, "GenericError", "Invalid parameter type for '" + key + "', expected: integer");
        }
        return l;
    }

    static String text(String cmd, Map<?, ?> args, String key) {
        Object v = args.get(key);
        if (v == null) {
            throw refused(cmd, "GenericError", "Parameter '" + key + "' is missing");
        }
        if (!(v instanceof String s)) {
            throw refused(cmd, "GenericError", "Invalid parameter type for '" + key + "', expected: string");
        }
        return s;
    }

    static List<String> strings(String cmd, Map<?, ?> args, String key) {
        Object v = args.get(key);
        if (!(v instanceof List<?> list)) {
            throw refused(cmd, "GenericError", "Parameter '" + key + "' is missing or not an array");
        }
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s)) {
                throw refused(cmd, "GenericError", "Invalid parameter type for '" + key + "', expected: string");
            }
            out.add(s);
        }
        return out;
    }

    static VirtException unresponsive(String message) {
        return new VirtException(ErrorCode.AGENT_UNRESPONSIVE, message);
    }

    /** The agent answered {@code command} with an error of class {@code cls}. */
    static VirtException refused(String command, String cls, String desc) {
        return new VirtException(ErrorCode.OPERATION_FAILED, "unable to execute guest agent command '" + command
                + "': " + desc + " (" + cls + ")");
    }
}

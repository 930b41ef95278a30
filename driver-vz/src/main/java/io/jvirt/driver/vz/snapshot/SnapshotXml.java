package io.jvirt.driver.vz.snapshot;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainXml;
import io.jvirt.driver.vz.sdk.SnapshotInfo;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import java.io.StringReader;

/**
 * Reads and writes libvirt's {@code <domainsnapshot>} document for the vz driver: the request
 * accepts {@code <name>}, {@code <description>} and {@code <memory>}; what the SDK cannot honour is
 * refused naming the element.
 */
public final class SnapshotXml {
    private static final int MAX_CHARS = 1024 * 1024;

    private SnapshotXml() {
    }

    /**
     * A snapshot request.
     *
     * @param name        the name, or null to let the driver choose one
     * @param description the description, or empty
     */
    public record Request(String name, String description) {
    }

    /** Parses a {@code <domainsnapshot>} request (hardened: no DTD, no external entities). */
    public static Request parse(String xml) {
        if (xml == null || xml.isBlank()) {
            return new Request(null, "");
        }
        if (xml.length() > MAX_CHARS) {
            throw new VirtException(ErrorCode.XML_ERROR, "snapshot XML is larger than " + MAX_CHARS + " characters");
        }
        XMLInputFactory f = XMLInputFactory.newFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        String name = null;
        String description = "";
        try {
            XMLStreamReader r = f.createXMLStreamReader(new StringReader(xml));
            r.nextTag();
            if (!r.getLocalName().equals("domainsnapshot")) {
                throw new VirtException(ErrorCode.XML_ERROR, "snapshot XML: expected <domainsnapshot>, found <"
                        + r.getLocalName() + ">");
            }
            while (r.nextTag() == XMLStreamConstants.START_ELEMENT) {
                String el = r.getLocalName();
                switch (el) {
                    case "name" -> name = r.getElementText().strip();
                    case "description" -> description = r.getElementText().strip();
                    case "memory" -> {
                        String mode = r.getAttributeValue(null, "snapshot");
                        if (mode != null && !mode.equals("internal") && !mode.equals("no")) {
                            throw new VirtException(ErrorCode.CONFIG_UNSUPPORTED, "snapshot XML: /domainsnapshot/memory"
                                    + " snapshot='" + mode + "' is not supported by vz (internal only)");
                        }
                        skip(r);
                    }
                    default -> throw new VirtException(ErrorCode.CONFIG_UNSUPPORTED, "snapshot XML: /domainsnapshot/"
                            + el + " is not supported by vz");
                }
            }
        } catch (XMLStreamException e) {
            throw new VirtException(ErrorCode.XML_ERROR, "malformed snapshot XML: " + e.getMessage(), e);
        }
        if (name != null && (name.isEmpty() || name.contains("/") || name.length() > 200)) {
            throw new VirtException(ErrorCode.INVALID_ARG, "snapshot name '" + name
                    + "' must be 1-200 characters without '/'");
        }
        return new Request(name, description);
    }

    private static void skip(XMLStreamReader r) throws XMLStreamException {
        int depth = 1;
        while (depth > 0) {
            int ev = r.next();
            if (ev == XMLStreamConstants.START_ELEMENT) {
                depth++;
            } else if (ev == XMLStreamConstants.END_ELEMENT) {
                depth--;
            }
        }
    }

    /** Writes a snapshot's description. */
    public static String format(SnapshotInfo s) {
        StringBuilder sb = new StringBuilder("<domainsnapshot>\n");
        sb.append("  <name>").append(esc(s.name())).append("</name>\n");
        if (!s.description().isEmpty()) {
            sb.append("  <description>").append(esc(s.description())).append("</description>\n");
        }
        String state = switch (s.vmState()) {
            case RUNNING -> "running";
            case PAUSED -> "paused";
            case STOPPED, SUSPENDED -> "shutoff";
        };
        sb.append("  <state>").append(state).append("</state>\n");
        if (s.parent() != null) {
            sb.append("  <parent>\n    <name>").append(esc(s.parent())).append("</name>\n  </parent>\n");
        }
        sb.append("  <creationTime>").append(s.created().getEpochSecond()).append("</creationTime>\n");
        sb.append("  <memory snapshot='").append(s.vmState().isActive() ? "internal" : "no").append("'/>\n");
        for (String line : DomainXml.format(s.config()).strip().split("\n")) {
            if (line.startsWith("<?xml")) {
                continue;
            }
            sb.append("  ").append(line).append('\n');
        }
        sb.append("</domainsnapshot>\n");
        return sb.toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;").replace("\"", "&quot;");
    }
}

package io.jvirt.api.xml;

import java.io.StringWriter;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/** An indenting element writer over a StAX {@link XMLStreamWriter}: the writing half of {@link DomainXml}. */
final class XmlOut {
    private final StringWriter out = new StringWriter();
    private final XMLStreamWriter w;
    private int depth;
    private boolean first = true;

    XmlOut() {
        try {
            w = XMLOutputFactory.newDefaultFactory().createXMLStreamWriter(out);
        } catch (XMLStreamException e) {
            throw new IllegalStateException("no StAX writer", e);
        }
    }

    /** Opens an element with attributes given as name/value pairs (null values are left out). */
    XmlOut start(String name, String... attrs) {
        return call(() -> {
            indent();
            w.writeStartElement(name);
            attributes(name, attrs);
            depth++;
        });
    }

    /** Closes the innermost open element on its own line. */
    XmlOut end() {
        return call(() -> {
            depth--;
            indent();
            w.writeEndElement();
        });
    }

    /** An element with no content. */
    XmlOut empty(String name, String... attrs) {
        return call(() -> {
            indent();
            w.writeEmptyElement(name);
            attributes(name, attrs);
        });
    }

    /** An element holding text (nothing is written when {@code text} is null). */
    XmlOut text(String name, String text, String... attrs) {
        if (text == null) {
            return this;
        }
        return call(() -> {
            indent();
            w.writeStartElement(name);
            attributes(name, attrs);
            int from = 0;
            for (int i = 0; i < text.length(); i++) {
                char ch = text.charAt(i);
                if (ch == '\r') {
                    w.writeCharacters(text.substring(from, i));
                    w.writeEntityRef("#13");
                    from = i + 1;
                } else if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f) {
                    throw XmlCursor.error("invalid text for <" + name + ">: control characters cannot be written");
                }
            }
            w.writeCharacters(text.substring(from));
            w.writeEndElement();
        });
    }

    /** The document, ending with a newline. */
    String finish() {
        call(() -> {
            w.writeCharacters("\n");
            w.flush();
            w.close();
        });
        return out.toString();
    }

    private void attributes(String element, String[] attrs) throws XMLStreamException {
        for (int i = 0; i < attrs.length; i += 2) {
            String v = attrs[i + 1];
            if (v == null) {
                continue;
            }
            if (v.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
                throw XmlCursor.error("invalid value for <" + element + " " + attrs[i]
                        + ">: control characters cannot be written");
            }
            w.writeAttribute(attrs[i], v);
        }
    }

    private void indent() throws XMLStreamException {
        if (!first) {
            w.writeCharacters("\n" + "  ".repeat(depth));
        }
        first = false;
    }

    private interface Step {
        void run() throws XMLStreamException;
    }

    private XmlOut call(Step step) {
        try {
            step.run();
        } catch (XMLStreamException e) {
            throw XmlCursor.error("cannot write XML: " + e.getMessage());
        }
        return this;
    }
}

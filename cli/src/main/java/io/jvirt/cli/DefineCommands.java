package io.jvirt.cli;

import io.jvirt.api.Domain;
import io.jvirt.api.UndefineOption;
import io.jvirt.api.xml.DomainXml;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Commands that add or remove definitions: {@code define}, {@code create}, {@code undefine}. */
final class DefineCommands {
    /** The largest file read, in bytes: the XML parser's character limit at up to four bytes each. */
    static final long MAX_FILE_BYTES = 4L * DomainXml.MAX_DOCUMENT_CHARS;

    private DefineCommands() {
    }

    /**
     * Reads an XML file for {@code define}/{@code create}, refusing oversized and non-UTF-8 files.
     *
     * @param context the failure's context ("Failed to define domain from F")
     */
    static String readXml(String file, String context) {
        Path path = Path.of(file);
        try {
            long size = Files.size(path);
            if (size > MAX_FILE_BYTES) {
                throw new CliException(context + ": file '" + file + "' is " + size
                        + " bytes, larger than the " + MAX_FILE_BYTES + " bytes allowed");
            }
            byte[] bytes = Files.readAllBytes(path);
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw new CliException("Failed to open file '" + file + "': No such file or directory");
        } catch (CharacterCodingException e) {
            throw new CliException(context + ": file '" + file + "' is not valid UTF-8");
        } catch (IOException e) {
            throw new CliException("Failed to read file '" + file + "': " + e.getMessage());
        }
    }

    /** {@code define FILE}: defines (or redefines) a persistent domain. */
    @Command(name = "define", description = "define (but don't start) a domain from an XML file")
    static final class DefineCmd extends JvirshCommand {
        @Parameters(paramLabel = "FILE", description = "file containing an XML domain description")
        String file;

        @Override
        protected void execute() {
            String context = "Failed to define domain from " + file;
            String xml = readXml(file, context);
            Domain dom = attempt(context, () -> conn().defineDomain(xml));
            out().println("Domain '" + dom.name() + "' defined from " + file);
        }
    }

    /** {@code create FILE}: creates and starts a transient domain. */
    @Command(name = "create", description = "create a domain from an XML file")
    static final class CreateCmd extends JvirshCommand {
        @Parameters(paramLabel = "FILE", description = "file containing an XML domain description")
        String file;

        @Override
        protected void execute() {
            String context = "Failed to create domain from " + file;
            String xml = readXml(file, context);
            Domain dom = attempt(context, () -> conn().createDomain(xml));
            out().println("Domain '" + dom.name() + "' created from " + file);
        }
    }

    /** {@code undefine DOMAIN}: removes a persistent definition. */
    @Command(name = "undefine", description = "undefine a domain")
    static final class UndefineCmd extends JvirshCommand {
        @Parameters(paramLabel = "DOMAIN", description = "domain name, id or uuid")
        String name;

        @Option(names = "--snapshots-metadata", description = "delete the domain's snapshots too")
        boolean snapshots;

        @Option(names = "--managed-save", description = "delete the domain's managed-save image too")
        boolean managedSave;

        @Override
        protected void execute() {
            Domain dom = domain(name);
            List<UndefineOption> opts = new ArrayList<>();
            if (snapshots) {
                opts.add(UndefineOption.SNAPSHOTS_METADATA);
            }
            if (managedSave) {
                opts.add(UndefineOption.MANAGED_SAVE);
            }
            attempt("Failed to undefine domain '" + name + "'",
                    () -> dom.undefine(opts.toArray(UndefineOption[]::new)));
            out().println("Domain '" + name + "' has been undefined");
        }
    }
}

package io.jvirt.driver.test;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The test driver's save image: a header line and the domain's XML. Written atomically (temp
 * file, fsync, rename); reading anything else is refused with a clear error.
 */
final class TestSaveImage {
    static final String MAGIC = "JVIRT-TEST-SAVE 1";

    private TestSaveImage() {
    }

    static void write(Path file, DomainDef def) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
        byte[] bytes = (MAGIC + "\n" + DomainXml.format(def)).getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static DomainDef read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot read save image " + file + ": " + e.getMessage(), e);
        }
        if (!text.startsWith(MAGIC + "\n")) {
            throw new VirtException(ErrorCode.INVALID_ARG, "'" + file + "' is not a test driver save image (no '"
                    + MAGIC + "' header)");
        }
        return DomainXml.parse(text.substring(MAGIC.length() + 1));
    }
}

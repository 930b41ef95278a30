package io.jvirt.driver.qemu.save;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The header of a save image. Layout (big-endian): 8 bytes magic {@code JVIRTSAV}, int version
 * (1), int flags (bit 0: the guest was running when saved), int length of the XML in bytes, the
 * domain XML (UTF-8), zero padding up to the next 4 KiB boundary; QEMU's migration stream follows
 * from there to the end of the file.
 *
 * @param xml        the domain definition at save time
 * @param wasRunning whether the guest's CPUs ran when the save began
 */
public record SaveImage(String xml, boolean wasRunning) {
    /** The magic at offset 0. */
    static final byte[] MAGIC = "JVIRTSAV".getBytes(StandardCharsets.US_ASCII);
    /** The only version written and read. */
    static final int VERSION = 1;
    static final int ALIGN = 4096;
    static final int MAX_XML = 16 << 20;

    /** Where QEMU's stream begins. */
    public long dataOffset() {
        return align(MAGIC.length + 12L + xml.getBytes(StandardCharsets.UTF_8).length);
    }

    private static long align(long n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    /** Writes the header with its padding to {@code out}; returns the bytes written. */
    public long write(OutputStream out) throws IOException {
        byte[] x = xml.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate((int) dataOffset());
        b.put(MAGIC).putInt(VERSION).putInt(wasRunning ? 1 : 0).putInt(x.length).put(x);
        out.write(b.array());
        return b.capacity();
    }

    /**
     * Reads and checks the header of {@code file}.
     *
     * @throws VirtException {@code OPERATION_FAILED} naming the file when it cannot be read, is not a
     *                       save image, has another version or is truncated
     */
    public static SaveImage read(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw bad(file, "cannot read it: " + e.getMessage());
        }
        try (InputStream in = Files.newInputStream(file); DataInputStream d = new DataInputStream(in)) {
            byte[] magic = new byte[MAGIC.length];
            d.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw bad(file, "not a save image (bad magic)");
            }
            int version = d.readInt();
            if (version != VERSION) {
                throw bad(file, "unsupported save image version " + version + " (expected " + VERSION + ")");
            }
            int flags = d.readInt();
            int len = d.readInt();
            if (len <= 0 || len > MAX_XML) {
                throw bad(file, "corrupt header (XML length " + len + ")");
            }
            byte[] x = new byte[len];
            d.readFully(x);
            SaveImage img = new SaveImage(new String(x, StandardCharsets.UTF_8), (flags & 1) != 0);
            if (size <= img.dataOffset()) {
                throw bad(file, "truncated: no memory image after the header");
            }
            return img;
        } catch (EOFException e) {
            throw bad(file, "truncated header");
        } catch (IOException e) {
            throw bad(file, "cannot read it: " + e.getMessage());
        }
    }

    static VirtException bad(Path file, String why) {
        return new VirtException(ErrorCode.OPERATION_FAILED, "cannot restore from '" + file + "': " + why);
    }
}

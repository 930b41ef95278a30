package io.jvirt.driver.qemu.monitor;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a byte stream into newline-terminated lines with a hard limit on a line's length, so that
 * a peer that never sends a newline costs at most {@code maxLine} bytes of memory, not the heap.
 * QMP sends every message on one line. A read timeout ({@link java.net.SocketTimeoutException})
 * leaves the partial line in place and the next call continues it. Not thread-safe: whoever holds
 * the monitor's read lock owns it.
 */
final class LineReader {
    private final InputStream in;
    private final int maxLine;
    private final byte[] chunk = new byte[64 * 1024];
    private int chunkPos;
    private int chunkEnd;
    private byte[] line = new byte[8 * 1024];
    private int lineLen;
    private boolean lineDone = true;

    LineReader(InputStream in, int maxLine) {
        this.in = in;
        this.maxLine = maxLine;
    }

    /** A line too long for the limit. */
    static final class LineTooLongException extends IOException {
        LineTooLongException(int max) {
            super("QMP message longer than " + max + " bytes without a line end");
        }
    }

    /**
     * Reads the next line (without its line end, trailing {@code \r} dropped).
     *
     * @return the line's length in {@link #buffer()}, or -1 at end of stream (a partial last line is
     *         reported as truncated)
     */
    int next() throws IOException {
        if (lineDone) {
            lineLen = 0; // a read timeout mid-line keeps the partial line for the next call
            lineDone = false;
        }
        while (true) {
            if (chunkPos == chunkEnd) {
                int n = in.read(chunk);
                if (n < 0) {
                    if (lineLen > 0) {
                        throw new IOException("QMP stream ended inside a message (" + lineLen + " bytes without a line end)");
                    }
                    return -1;
                }
                chunkPos = 0;
                chunkEnd = n;
            }
            int start = chunkPos;
            int nl = -1;
            for (int i = start; i < chunkEnd; i++) {
                if (chunk[i] == '\n') {
                    nl = i;
                    break;
                }
            }
            int end = nl >= 0 ? nl : chunkEnd;
            append(start, end - start);
            chunkPos = nl >= 0 ? nl + 1 : chunkEnd;
            if (nl >= 0) {
                if (lineLen > 0 && line[lineLen - 1] == '\r') {
                    lineLen--;
                }
                if (lineLen == 0) {
                    continue; // blank line: nothing to parse
                }
                lineDone = true;
                return lineLen;
            }
        }
    }

    private void append(int from, int len) throws LineTooLongException {
        if (len == 0) {
            return;
        }
        if ((long) lineLen + len > maxLine) {
            throw new LineTooLongException(maxLine);
        }
        if (lineLen + len > line.length) {
            line = Arrays.copyOf(line, Math.min(maxLine, Math.max(line.length * 2, lineLen + len)));
        }
        System.arraycopy(chunk, from, line, lineLen, len);
        lineLen += len;
    }

    /** The buffer holding the last line; valid until the next call to {@link #next()}. */
    byte[] buffer() {
        return line;
    }

    /** Drops a large buffer after a large message, so one big reply does not pin memory. */
    void shrink() {
        if (line.length > 1024 * 1024) {
            line = new byte[8 * 1024];
        }
    }
}

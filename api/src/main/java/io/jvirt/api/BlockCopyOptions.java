package io.jvirt.api;

/**
 * Options for {@link Domain#blockCopy(String, String, BlockCopyOptions)}.
 *
 * @param shallow        copy only the top image
 * @param reuseExternal  the destination exists already
 * @param bandwidthBytes bandwidth cap in bytes/s (0 = unlimited)
 * @param waitAndPivot   block until ready, then pivot to the copy
 */
public record BlockCopyOptions(boolean shallow, boolean reuseExternal, long bandwidthBytes, boolean waitAndPivot) {
    /** No options: a full copy, left running until {@code blockJobAbort(disk, pivot)}. */
    public static BlockCopyOptions defaults() {
        return new BlockCopyOptions(false, false, 0, false);
    }
}

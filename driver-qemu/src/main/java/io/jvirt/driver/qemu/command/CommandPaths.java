package io.jvirt.driver.qemu.command;

import java.nio.file.Path;

/**
 * Where one running domain's files go, as the command line names them.
 *
 * @param monitorSocket the QMP socket
 * @param pidFile       QEMU's pidfile
 * @param channelDir    where channel sockets without an explicit path are created
 */
public record CommandPaths(Path monitorSocket, Path pidFile, Path channelDir) {
}

/** Save to a file and restore from it: the QEMU driver's SAVE and RESTORE async jobs and the image header. */
package io.jvirt.driver.qemu.save;

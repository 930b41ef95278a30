/**
 * The test driver's fake guest agent: an in-memory agent per running test domain that answers
 * the qemu-ga commands the jvirt API uses, with controls to make it silent or absent.
 */
package io.jvirt.driver.test.agent;

/** The TCK's guest-agent suite: agent jobs, timeouts and the agent-backed calls. */
package io.jvirt.tck.agent;

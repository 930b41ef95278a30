package io.jvirt.spi.job;

import io.jvirt.spi.DomainObj;

/**
 * The job state of one domain (placeholder until the job model lands).
 */
public final class DomainJobs {
    private final DomainObj dom;

    public DomainJobs(DomainObj dom) {
        this.dom = dom;
    }
}

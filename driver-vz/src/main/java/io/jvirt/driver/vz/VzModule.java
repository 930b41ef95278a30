package io.jvirt.driver.vz;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.jvirt.driver.vz.cache.SdkEventPump;
import io.jvirt.driver.vz.cache.VzCache;
import io.jvirt.driver.vz.job.SdkCalls;
import io.jvirt.driver.vz.sdk.SdkSession;
import io.jvirt.spi.DomainObjList;
import io.jvirt.spi.DriverContext;

/** Wires one vz driver instance: settings, SDK session, cache, SDK calls, event pump. */
final class VzModule extends AbstractModule {
    private final VzConfig config;
    private final SdkSession session;
    private final DriverContext context;

    VzModule(VzConfig config, SdkSession session, DriverContext context) {
        this.config = config;
        this.session = session;
        this.context = context;
    }

    @Override
    protected void configure() {
        bind(VzConfig.class).toInstance(config);
        bind(SdkSession.class).toInstance(session);
        bind(DriverContext.class).toInstance(context);
        bind(VzDriver.class).in(Singleton.class);
    }

    @Provides
    @Singleton
    VzCache cache() {
        return new VzCache(session, new DomainObjList(), context.events(), config.jobs());
    }

    @Provides
    @Singleton
    SdkCalls calls(VzCache cache) {
        return new SdkCalls(session, cache, config.sdkTimeout());
    }

    @Provides
    @Singleton
    SdkEventPump pump(VzCache cache) {
        return new SdkEventPump(session, cache, config.sdkTimeout());
    }
}

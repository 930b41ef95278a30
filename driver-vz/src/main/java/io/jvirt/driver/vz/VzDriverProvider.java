package io.jvirt.driver.vz;

import com.google.auto.service.AutoService;
import com.google.inject.Guice;
import com.google.inject.ProvisionException;
import io.jvirt.api.VirtException;
import io.jvirt.driver.vz.sdk.SdkBackends;
import io.jvirt.driver.vz.sdk.SdkSession;
import io.jvirt.spi.DriverContext;
import io.jvirt.spi.DriverProvider;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.spi.VirtUri;

/**
 * The vz driver's entry point: {@code vz:///system} (a real Virtuozzo host through an
 * {@link io.jvirt.driver.vz.sdk.SdkBinding}) and {@code vz:///sim} (the SDK emulator). Each open
 * builds the instance's own Guice injector.
 */
@AutoService(DriverProvider.class)
public final class VzDriverProvider implements DriverProvider {
    @Override
    public String name() {
        return "vz";
    }

    @Override
    public boolean accepts(VirtUri uri) {
        return uri.driver().equals("vz") || uri.driver().equals("parallels");
    }

    @Override
    public HypervisorDriver open(VirtUri uri, DriverContext context) {
        VzConfig config = VzConfig.from(uri);
        SdkSession session = SdkBackends.login(config.backend(), config.backendParams());
        try {
            return Guice.createInjector(new VzModule(config, session, context)).getInstance(VzDriver.class);
        } catch (ProvisionException e) {
            session.close();
            if (e.getCause() instanceof VirtException ve) {
                throw ve;
            }
            throw e;
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }
}

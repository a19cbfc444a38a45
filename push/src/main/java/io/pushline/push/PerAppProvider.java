package io.pushline.push;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each push by {@link PushRequest#appId()} to the provider of that app, so several apps
 * with their own credentials (an APNs signing key, team id and key id per bundle id) share one
 * process: {@code PerAppProvider.builder(Platform.APNS).app("com.example.one", apnsOne).app("com.example.two", apnsTwo).build()}.
 *
 * <p>A push for an app without a provider is answered at once with the permanent
 * {@code Rejected("no APNs credentials for app X")} (not a token invalidation), counted as
 * {@link PushMetrics#REFUSED} with reason {@code unknown_app}.
 *
 * <p>Thread-safe; the routing table is fixed at build time. Owns its providers: {@link #close()}
 * closes every one of them, even if closing one fails.
 */
public final class PerAppProvider implements PushProvider {

    private static final Logger log = LoggerFactory.getLogger(PerAppProvider.class);

    private final Platform platform;
    private final Map<String, PushProvider> providers;
    private final Counter unknownApp;

    private PerAppProvider(Builder builder) {
        this.platform = builder.platform;
        this.providers = Map.copyOf(builder.providers);
        this.unknownApp = builder.meterRegistry == null ? null
                : Counter.builder(PushMetrics.REFUSED).tag(PushMetrics.TAG_PLATFORM, platform.name().toLowerCase(Locale.ROOT))
                        .tag(PushMetrics.TAG_REASON, "unknown_app").register(builder.meterRegistry);
    }

    /** Routes pushes of {@code platform}. */
    public static Builder builder(Platform platform) {
        return new Builder(platform);
    }

    @Override
    public Platform platform() {
        return platform;
    }

    /** The apps this provider has credentials for. */
    public Set<String> apps() {
        return providers.keySet();
    }

    @Override
    public CompletableFuture<PushOutcome> send(PushRequest request) {
        Objects.requireNonNull(request, "request");
        if (request.platform() != platform) {
            throw new IllegalArgumentException("this PerAppProvider sends " + platform + " pushes only, got "
                    + request.platform() + " for " + request.pushId());
        }
        PushProvider provider = request.appId() == null ? null : providers.get(request.appId());
        if (provider == null) {
            if (unknownApp != null) {
                unknownApp.increment();
            }
            log.debug("push {} not sent: no provider for app {}", request.pushId(), request.appId());
            return CompletableFuture.completedFuture(new PushOutcome.Rejected(
                    "no " + label(platform) + " credentials for app " + request.appId(), false, null));
        }
        return provider.send(request);
    }

    /** Closes every app's provider; a failure to close one is logged and does not stop the others. */
    @Override
    public void close() {
        RuntimeException first = null;
        for (Map.Entry<String, PushProvider> entry : providers.entrySet()) {
            try {
                entry.getValue().close();
            } catch (RuntimeException e) {
                log.warn("closing the provider of app {} failed", entry.getKey(), e);
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "PerAppProvider[" + platform + ", apps=" + new java.util.TreeSet<>(providers.keySet()) + "]";
    }

    private static String label(Platform platform) {
        return platform == Platform.APNS ? "APNs" : platform.name();
    }

    /** Configures a {@link PerAppProvider}; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {

        private final Platform platform;
        private final Map<String, PushProvider> providers = new LinkedHashMap<>();
        private MeterRegistry meterRegistry;

        private Builder(Platform platform) {
            this.platform = Objects.requireNonNull(platform, "platform");
        }

        /** Sends pushes for {@code appId} (the APNs topic / bundle id) through {@code provider}, which the result then owns. */
        public Builder app(String appId, PushProvider provider) {
            if (appId == null || appId.isBlank()) {
                throw new IllegalArgumentException("appId must not be blank, was " + (appId == null ? "null" : "'" + appId + "'"));
            }
            Objects.requireNonNull(provider, "provider");
            if (providers.putIfAbsent(appId, provider) != null) {
                throw new IllegalArgumentException("appId " + appId + " was given twice");
            }
            return this;
        }

        /** Where to count pushes for unknown apps; null for none. */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = meterRegistry;
            return this;
        }

        /** @throws IllegalArgumentException naming the field and value when the configuration is invalid */
        public PerAppProvider build() {
            if (providers.isEmpty()) {
                throw new IllegalArgumentException("at least one app(...) must be given, was none");
            }
            providers.forEach((appId, provider) -> {
                if (provider.platform() != platform) {
                    throw new IllegalArgumentException("app " + appId + " must have a " + platform + " provider, was " + provider.platform());
                }
            });
            return new PerAppProvider(this);
        }
    }
}

package io.pushline.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.push.ApnsProvider;
import io.pushline.push.FcmProvider;
import io.pushline.push.GuardedProvider;
import io.pushline.push.PerAppProvider;
import io.pushline.push.Platform;
import io.pushline.push.PushProvider;
import io.pushline.push.VapidConfig;
import io.pushline.push.WebPushProvider;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The push provider options of {@code pushline run} (a picocli mixin) and the providers they make: APNs with one
 * signing key for every app or per-app credentials, FCM from a service-account file or environment variable, web push
 * from VAPID key sets (a default and/or one per app) in a JSON file or environment variable, each
 * behind a {@link GuardedProvider} (circuit breaker, optional rate limits). Secrets are read from files or the
 * environment, never taken from the command line, and never printed: errors name the option or variable, not the value.
 */
final class ProviderOptions {

    /** Environment variable holding an FCM service-account key's JSON text (an alternative to the file). */
    static final String FCM_SERVICE_ACCOUNT_JSON_ENV = "PUSHLINE_FCM_SERVICE_ACCOUNT_JSON";
    /** Environment variable holding the web push VAPID keys' JSON text (an alternative to the file). */
    static final String WEBPUSH_VAPID_JSON_ENV = "PUSHLINE_WEBPUSH_VAPID_JSON";
    /** Environment variable with {@code --apns-app} specifications separated by {@code ;}. */
    static final String APNS_APPS_ENV = "PUSHLINE_APNS_APPS";

    @Option(names = "--apns-key-file", paramLabel = "FILE", defaultValue = "${env:PUSHLINE_APNS_KEY_FILE}",
            description = "APNs token-auth signing key (.p8), used for every app (env PUSHLINE_APNS_KEY_FILE).")
    Path apnsKeyFile;

    @Option(names = "--apns-team-id", paramLabel = "ID", defaultValue = "${env:PUSHLINE_APNS_TEAM_ID}", description = "APNs team id (env PUSHLINE_APNS_TEAM_ID).")
    String apnsTeamId;

    @Option(names = "--apns-key-id", paramLabel = "ID", defaultValue = "${env:PUSHLINE_APNS_KEY_ID}", description = "APNs key id (env PUSHLINE_APNS_KEY_ID).")
    String apnsKeyId;

    @Option(names = "--apns-app", paramLabel = "SPEC",
            description = {"Credentials for one app (bundle id), repeatable, instead of --apns-key-file: "
                    + "bundle=ID,key-file=FILE,team-id=ID,key-id=ID (token auth) or bundle=ID,cert-file=FILE.p12[,cert-password-file=FILE] "
                    + "(certificate auth). Pushes for other apps are rejected. (env PUSHLINE_APNS_APPS, specs separated by ';')"})
    List<String> apnsApps = new ArrayList<>();

    @Option(names = "--apns-host", paramLabel = "HOST", defaultValue = "${env:PUSHLINE_APNS_HOST:-api.push.apple.com}",
            description = "APNs host (env PUSHLINE_APNS_HOST; default: ${DEFAULT-VALUE}; api.sandbox.push.apple.com for development).")
    String apnsHost;

    @Option(names = "--apns-port", paramLabel = "PORT", defaultValue = "${env:PUSHLINE_APNS_PORT:-443}", description = "APNs port (default: ${DEFAULT-VALUE}).")
    int apnsPort;

    @Option(names = "--apns-ca-file", paramLabel = "FILE", defaultValue = "${env:PUSHLINE_APNS_CA_FILE}",
            description = "PEM certificates to trust for the APNs server instead of the JVM's trust store, for a test server (env PUSHLINE_APNS_CA_FILE).")
    Path apnsCaFile;

    @Option(names = "--apns-connections", paramLabel = "N", defaultValue = "${env:PUSHLINE_APNS_CONNECTIONS:-" + ApnsProvider.DEFAULT_CONCURRENT_CONNECTIONS + "}",
            description = "Connections to APNs per app (env PUSHLINE_APNS_CONNECTIONS; default: ${DEFAULT-VALUE}).")
    int apnsConnections;

    @Option(names = "--fcm-service-account-file", paramLabel = "FILE", defaultValue = "${env:PUSHLINE_FCM_SERVICE_ACCOUNT_FILE}",
            description = "Firebase service-account JSON (env PUSHLINE_FCM_SERVICE_ACCOUNT_FILE, or the key's JSON itself in env "
                    + FCM_SERVICE_ACCOUNT_JSON_ENV + ").")
    Path fcmServiceAccount;

    @Option(names = "--fcm-project-id", paramLabel = "ID", defaultValue = "${env:PUSHLINE_FCM_PROJECT_ID}", description = "Firebase project id (env PUSHLINE_FCM_PROJECT_ID; default: the service account's).")
    String fcmProjectId;

    @Option(names = "--fcm-endpoint", paramLabel = "URL", defaultValue = "${env:PUSHLINE_FCM_ENDPOINT}",
            description = "Send FCM requests to this base URL instead of https://fcm.googleapis.com, for an emulator or test server (env PUSHLINE_FCM_ENDPOINT).")
    String fcmEndpoint;

    @Option(names = "--webpush-vapid-file", paramLabel = "FILE", defaultValue = "${env:PUSHLINE_WEBPUSH_VAPID_FILE}",
            description = {"Web push VAPID keys as JSON: {\"default\": {\"subject\", \"publicKey\", \"privateKey\"}, "
                    + "\"apps\": {APP_ID: {...}}} (env PUSHLINE_WEBPUSH_VAPID_FILE, or the JSON itself in env "
                    + "PUSHLINE_WEBPUSH_VAPID_JSON). Without it, web push devices' pushes are dead-lettered (no provider)."})
    Path webPushVapidFile;

    @Option(names = "--webpush-allow-loopback-http", defaultValue = "${env:PUSHLINE_WEBPUSH_ALLOW_LOOPBACK_HTTP:-false}",
            description = "Send to http: web push endpoints on loopback addresses, for a local test push service "
                    + "(env PUSHLINE_WEBPUSH_ALLOW_LOOPBACK_HTTP; default: ${DEFAULT-VALUE}).")
    boolean webPushAllowLoopbackHttp;

    @Option(names = "--provider-rate-limit", paramLabel = "PER_SEC", defaultValue = "${env:PUSHLINE_PROVIDER_RATE_LIMIT:-0}",
            description = "Pushes per second to each provider, 0 for no limit (env PUSHLINE_PROVIDER_RATE_LIMIT; default: ${DEFAULT-VALUE}).")
    int providerRateLimit;

    @Option(names = "--app-rate-limit", paramLabel = "PER_SEC", defaultValue = "${env:PUSHLINE_APP_RATE_LIMIT:-0}",
            description = "Pushes per second to each app (bundle id / FCM app), 0 for no limit (env PUSHLINE_APP_RATE_LIMIT; default: ${DEFAULT-VALUE}).")
    int appRateLimit;

    @Option(names = "--circuit-failure-rate", paramLabel = "PERCENT", defaultValue = "${env:PUSHLINE_CIRCUIT_FAILURE_RATE:-50}",
            description = "Share of provider failures (retry-later answers) over the last 100 pushes that opens a provider's circuit "
                    + "(env PUSHLINE_CIRCUIT_FAILURE_RATE; default: ${DEFAULT-VALUE}).")
    float circuitFailureRate;

    @Option(names = "--circuit-open", paramLabel = "DURATION", defaultValue = "${env:PUSHLINE_CIRCUIT_OPEN:-30s}",
            description = "How long an open circuit answers retry-later before it tries the provider again "
                    + "(env PUSHLINE_CIRCUIT_OPEN; default: ${DEFAULT-VALUE}).")
    String circuitOpen;

    /** A bad option; the caller turns it into a usage error. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    /** Checks what can be checked without building anything. */
    void validate() throws Invalid {
        if (providerRateLimit < 0) {
            throw new Invalid("--provider-rate-limit must be >= 0, was " + providerRateLimit);
        }
        if (appRateLimit < 0) {
            throw new Invalid("--app-rate-limit must be >= 0, was " + appRateLimit);
        }
        if (!(circuitFailureRate > 0 && circuitFailureRate <= 100)) {
            throw new Invalid("--circuit-failure-rate must be within (0, 100], was " + circuitFailureRate);
        }
        circuitOpenDuration();
        if (apnsConnections < 1 || apnsConnections > 64) {
            throw new Invalid("--apns-connections must be between 1 and 64, was " + apnsConnections);
        }
    }

    private Duration circuitOpenDuration() throws Invalid {
        try {
            Duration duration = Durations.parse(circuitOpen);
            if (duration.compareTo(Duration.ofSeconds(1)) < 0 || duration.compareTo(Duration.ofHours(1)) > 0) {
                throw new Invalid("--circuit-open must be between 1s and 1h, was " + circuitOpen);
            }
            return duration;
        } catch (IllegalArgumentException e) {
            throw new Invalid("--circuit-open: " + e.getMessage());
        }
    }

    /** Wraps a provider in the configured guard (named for metrics); the guard owns it. */
    PushProvider guard(PushProvider provider, MeterRegistry registry, String name) throws Invalid {
        return GuardedProvider.builder(provider).name(name)
                .failureRateThreshold(circuitFailureRate)
                .waitDurationInOpenState(circuitOpenDuration())
                .providerPermitsPerSecond(providerRateLimit)
                .appPermitsPerSecond(appRateLimit)
                .meterRegistry(registry)
                .build();
    }

    /**
     * The real providers the options describe, guarded; empty when none is configured. On failure, whatever was built
     * is closed.
     */
    Map<Platform, PushProvider> realProviders(MeterRegistry registry, int maxQueued, Function<String, String> env) throws Invalid, IOException {
        return realProviders(registry, maxQueued, env, null);
    }

    /** As above, with the guards named {@code apns-<suffix>}, {@code fcm-<suffix>} (null: {@code apns}, {@code fcm}). */
    Map<Platform, PushProvider> realProviders(MeterRegistry registry, int maxQueued, Function<String, String> env, String suffix)
            throws Invalid, IOException {
        validate();
        Map<Platform, PushProvider> providers = new EnumMap<>(Platform.class);
        try {
            PushProvider apns = apns(registry, maxQueued, env);
            if (apns != null) {
                providers.put(Platform.APNS, guard(apns, registry, suffix == null ? "apns" : "apns-" + suffix));
            }
            PushProvider fcm = fcm(registry, maxQueued, env, "high".equals(suffix));
            if (fcm != null) {
                providers.put(Platform.FCM, guard(fcm, registry, suffix == null ? "fcm" : "fcm-" + suffix));
            }
            PushProvider webPush = webPush(registry, maxQueued, env);
            if (webPush != null) {
                providers.put(Platform.WEBPUSH, guard(webPush, registry, suffix == null ? "webpush" : "webpush-" + suffix));
            }
            return providers;
        } catch (Invalid | IOException | RuntimeException e) {
            providers.values().forEach(PushProvider::close);
            throw e;
        }
    }

    private PushProvider apns(MeterRegistry registry, int maxQueued, Function<String, String> env) throws Invalid, IOException {
        List<String> specs = new ArrayList<>(apnsApps);
        String fromEnv = env.apply(APNS_APPS_ENV);
        if (specs.isEmpty() && fromEnv != null && !fromEnv.isBlank()) {
            for (String spec : fromEnv.split(";")) {
                if (!spec.isBlank()) {
                    specs.add(spec.trim());
                }
            }
        }
        if (!specs.isEmpty() && apnsKeyFile != null) {
            throw new Invalid("give either --apns-key-file (one key for every app) or --apns-app (per app), not both");
        }
        if (apnsKeyFile != null) {
            requireReadable("--apns-key-file", apnsKeyFile);
            if (apnsTeamId == null || apnsKeyId == null) {
                throw new Invalid("--apns-key-file needs --apns-team-id and --apns-key-id");
            }
            try {
                return apnsBuilder(registry, maxQueued).signingKey(Files.readString(apnsKeyFile, StandardCharsets.US_ASCII), apnsTeamId, apnsKeyId)
                        .build();
            } catch (IllegalArgumentException e) {
                throw new Invalid("--apns-key-file: " + e.getMessage());
            }
        }
        if (specs.isEmpty()) {
            return null;
        }
        PerAppProvider.Builder perApp = PerAppProvider.builder(Platform.APNS).meterRegistry(registry);
        List<PushProvider> built = new ArrayList<>();
        try {
            for (String spec : specs) {
                AppSpec app = AppSpec.parse(spec);
                PushProvider provider = app.build(apnsBuilder(registry, maxQueued));
                built.add(provider);
                perApp.app(app.bundle(), provider);
            }
            return perApp.build();
        } catch (IllegalArgumentException e) {
            built.forEach(PushProvider::close);
            throw new Invalid("--apns-app: " + e.getMessage());
        } catch (Invalid | IOException | RuntimeException e) {
            built.forEach(PushProvider::close);
            throw e;
        }
    }

    private ApnsProvider.Builder apnsBuilder(MeterRegistry registry, int maxQueued) throws Invalid, IOException {
        ApnsProvider.Builder builder = ApnsProvider.builder().server(apnsHost, apnsPort).concurrentConnections(apnsConnections)
                .maxQueued(maxQueued).meterRegistry(registry);
        if (apnsCaFile != null) {
            requireReadable("--apns-ca-file", apnsCaFile);
            builder.trustedServerCertificatePem(Files.readString(apnsCaFile, StandardCharsets.US_ASCII));
        }
        return builder;
    }

    /** {@code noLinger}: the high lane sends each batch at once (no 5 ms wait for a fuller batch). */
    private PushProvider fcm(MeterRegistry registry, int maxQueued, Function<String, String> env, boolean noLinger) throws Invalid {
        String jsonText = env.apply(FCM_SERVICE_ACCOUNT_JSON_ENV);
        boolean fromEnv = jsonText != null && !jsonText.isBlank();
        if (fcmServiceAccount == null && !fromEnv) {
            return null;
        }
        if (fcmServiceAccount != null && fromEnv) {
            throw new Invalid("give either --fcm-service-account-file or " + FCM_SERVICE_ACCOUNT_JSON_ENV + ", not both");
        }
        FcmProvider.Builder builder = FcmProvider.builder().maxQueued(maxQueued).meterRegistry(registry);
        if (noLinger) {
            builder.batchLinger(java.time.Duration.ZERO);
        }
        if (fcmServiceAccount != null) {
            requireReadable("--fcm-service-account-file", fcmServiceAccount);
            builder.serviceAccountJson(fcmServiceAccount);
        } else {
            builder.serviceAccountJson(jsonText, FCM_SERVICE_ACCOUNT_JSON_ENV);
        }
        if (fcmProjectId != null) {
            builder.projectId(fcmProjectId);
        }
        if (fcmEndpoint != null && !fcmEndpoint.isBlank()) {
            try {
                builder.endpoint(java.net.URI.create(fcmEndpoint.trim()));
            } catch (IllegalArgumentException e) {
                throw new Invalid("--fcm-endpoint: " + e.getMessage());
            }
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new Invalid(e.getMessage());
        }
    }

    /** The web push provider of the VAPID keys in the file or the environment; null when neither is given. */
    private PushProvider webPush(MeterRegistry registry, int maxQueued, Function<String, String> env) throws Invalid, IOException {
        String jsonText = env.apply(WEBPUSH_VAPID_JSON_ENV);
        boolean fromEnv = jsonText != null && !jsonText.isBlank();
        if (webPushVapidFile == null && !fromEnv) {
            return null;
        }
        if (webPushVapidFile != null && fromEnv) {
            throw new Invalid("give either --webpush-vapid-file or " + WEBPUSH_VAPID_JSON_ENV + ", not both");
        }
        String origin = fromEnv ? WEBPUSH_VAPID_JSON_ENV : "--webpush-vapid-file " + webPushVapidFile;
        if (!fromEnv) {
            requireReadable("--webpush-vapid-file", webPushVapidFile);
            jsonText = Files.readString(webPushVapidFile, StandardCharsets.UTF_8);
        }
        try {
            return VapidConfig.parse(jsonText, origin).applyTo(WebPushProvider.builder())
                    .maxInFlight(WebPushProvider.DEFAULT_MAX_IN_FLIGHT, WebPushProvider.DEFAULT_MAX_IN_FLIGHT_PER_HOST, maxQueued)
                    .allowLoopbackHttp(webPushAllowLoopbackHttp)
                    .meterRegistry(registry)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new Invalid(e.getMessage().startsWith(origin) ? e.getMessage() : origin + ": " + e.getMessage());
        }
    }

    static void requireReadable(String option, Path file) throws Invalid {
        if (!Files.isReadable(file)) {
            throw new Invalid(option + ": cannot read " + file);
        }
    }

    /** One {@code --apns-app} specification: {@code key=value} pairs separated by commas. */
    record AppSpec(String bundle, Path keyFile, String teamId, String keyId, Path certFile, Path certPasswordFile) {

        private static final List<String> KEYS = List.of("bundle", "key-file", "team-id", "key-id", "cert-file", "cert-password-file");

        static AppSpec parse(String spec) throws Invalid {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String part : spec.split(",")) {
                int eq = part.indexOf('=');
                if (eq <= 0) {
                    throw new Invalid("--apns-app: '" + part.trim() + "' is not key=value (keys: " + String.join(", ", KEYS) + ")");
                }
                String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
                if (!KEYS.contains(key)) {
                    throw new Invalid("--apns-app: unknown key '" + key + "' (keys: " + String.join(", ", KEYS) + ")");
                }
                if (fields.put(key, part.substring(eq + 1).trim()) != null) {
                    throw new Invalid("--apns-app: '" + key + "' given twice");
                }
            }
            String bundle = fields.get("bundle");
            if (bundle == null || bundle.isBlank()) {
                throw new Invalid("--apns-app: bundle=ID is required");
            }
            boolean token = fields.containsKey("key-file") || fields.containsKey("team-id") || fields.containsKey("key-id");
            boolean cert = fields.containsKey("cert-file") || fields.containsKey("cert-password-file");
            if (token == cert) {
                throw new Invalid("--apns-app " + bundle + ": give key-file, team-id and key-id (token auth) or cert-file "
                        + "(certificate auth), not " + (token ? "both" : "neither"));
            }
            if (token && (fields.get("key-file") == null || fields.get("team-id") == null || fields.get("key-id") == null)) {
                throw new Invalid("--apns-app " + bundle + ": token auth needs key-file, team-id and key-id");
            }
            if (cert && fields.get("cert-file") == null) {
                throw new Invalid("--apns-app " + bundle + ": certificate auth needs cert-file");
            }
            return new AppSpec(bundle, path(fields.get("key-file")), fields.get("team-id"), fields.get("key-id"),
                    path(fields.get("cert-file")), path(fields.get("cert-password-file")));
        }

        private static Path path(String value) {
            return value == null ? null : Path.of(value);
        }

        PushProvider build(ApnsProvider.Builder builder) throws Invalid, IOException {
            if (keyFile != null) {
                requireReadable("--apns-app " + bundle + " key-file", keyFile);
                return builder.signingKey(Files.readString(keyFile, StandardCharsets.US_ASCII), teamId, keyId).build();
            }
            requireReadable("--apns-app " + bundle + " cert-file", certFile);
            String password = "";
            if (certPasswordFile != null) {
                requireReadable("--apns-app " + bundle + " cert-password-file", certPasswordFile);
                password = Files.readString(certPasswordFile, StandardCharsets.UTF_8).strip();
            }
            try (InputStream p12 = Files.newInputStream(certFile)) {
                return builder.clientCredentials(p12, password).build();
            }
        }

        /** Leaves out nothing secret: paths and ids only. */
        @Override
        public String toString() {
            return "AppSpec[bundle=" + bundle + ", keyFile=" + keyFile + ", teamId=" + teamId + ", keyId=" + keyId
                    + ", certFile=" + certFile + "]";
        }
    }
}

package io.pushline.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.push.ApnsProvider;
import io.pushline.push.FcmProvider;
import io.pushline.push.Platform;
import io.pushline.push.PushProvider;
import io.pushline.topology.StreamsSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code pushline run}: one or all roles against an existing Kafka cluster, until SIGTERM (which drains in-flight
 * pushes and commits before exiting). Secrets come from files named by options or environment variables, never from
 * the command line itself.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs Pushline roles against a Kafka cluster until stopped (SIGTERM drains and commits).")
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--role", paramLabel = "ROLE", defaultValue = "${env:PUSHLINE_ROLE:-all}",
            description = "router, workers or all (env PUSHLINE_ROLE; default: ${DEFAULT-VALUE}).")
    String role;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT,...", defaultValue = "${env:PUSHLINE_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
            description = "Kafka bootstrap servers (env PUSHLINE_BOOTSTRAP_SERVERS; default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--kafka-config", paramLabel = "FILE", defaultValue = "${env:PUSHLINE_KAFKA_CONFIG}",
            description = "Properties file applied to every Kafka client (security.protocol, sasl.*, ssl.*) (env PUSHLINE_KAFKA_CONFIG).")
    Path kafkaConfig;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "${env:PUSHLINE_PARTITIONS:-6}",
            description = "Partitions of Pushline's topics (env PUSHLINE_PARTITIONS; default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--replication-factor", paramLabel = "N", defaultValue = "${env:PUSHLINE_REPLICATION_FACTOR:-1}",
            description = "Replication factor of Pushline's topics (env PUSHLINE_REPLICATION_FACTOR; default: ${DEFAULT-VALUE}).")
    short replicationFactor;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "${env:PUSHLINE_STATE_DIR:-.pushline/state}",
            description = "Kafka Streams state directory (env PUSHLINE_STATE_DIR; default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--in-flight", paramLabel = "N", defaultValue = "${env:PUSHLINE_IN_FLIGHT:-512}",
            description = "Pushes in flight per lane (env PUSHLINE_IN_FLIGHT; default: ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(names = "--apns-key-file", paramLabel = "FILE", defaultValue = "${env:PUSHLINE_APNS_KEY_FILE}",
            description = "APNs token-auth signing key (.p8) (env PUSHLINE_APNS_KEY_FILE).")
    Path apnsKeyFile;

    @Option(names = "--apns-team-id", paramLabel = "ID", defaultValue = "${env:PUSHLINE_APNS_TEAM_ID}", description = "APNs team id (env PUSHLINE_APNS_TEAM_ID).")
    String apnsTeamId;

    @Option(names = "--apns-key-id", paramLabel = "ID", defaultValue = "${env:PUSHLINE_APNS_KEY_ID}", description = "APNs key id (env PUSHLINE_APNS_KEY_ID).")
    String apnsKeyId;

    @Option(names = "--apns-host", paramLabel = "HOST", defaultValue = "${env:PUSHLINE_APNS_HOST:-api.push.apple.com}",
            description = "APNs host (env PUSHLINE_APNS_HOST; default: ${DEFAULT-VALUE}; api.sandbox.push.apple.com for development).")
    String apnsHost;

    @Option(names = "--apns-port", paramLabel = "PORT", defaultValue = "${env:PUSHLINE_APNS_PORT:-443}", description = "APNs port (default: ${DEFAULT-VALUE}).")
    int apnsPort;

    @Option(names = "--fcm-service-account-file", paramLabel = "FILE", defaultValue = "${env:PUSHLINE_FCM_SERVICE_ACCOUNT_FILE}",
            description = "Firebase service-account JSON (env PUSHLINE_FCM_SERVICE_ACCOUNT_FILE).")
    Path fcmServiceAccount;

    @Option(names = "--fcm-project-id", paramLabel = "ID", defaultValue = "${env:PUSHLINE_FCM_PROJECT_ID}", description = "Firebase project id (env PUSHLINE_FCM_PROJECT_ID).")
    String fcmProjectId;

    @Option(names = "--mock-providers", defaultValue = "${env:PUSHLINE_MOCK_PROVIDERS:-false}",
            description = "Send to in-process mock APNs and FCM servers instead (local use only; env PUSHLINE_MOCK_PROVIDERS).")
    boolean mockProviders;

    @Override
    public Integer call() throws Exception {
        Set<Role> roles;
        try {
            roles = Role.parse(role);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--role: " + e.getMessage());
        }
        if (partitions < 1 || partitions > 10_000) {
            throw new ParameterException(spec.commandLine(), "--partitions must be between 1 and 10000, was " + partitions);
        }
        if (replicationFactor < 1) {
            throw new ParameterException(spec.commandLine(), "--replication-factor must be >= 1, was " + replicationFactor);
        }
        if (inFlight < 1 || inFlight > 100_000) {
            throw new ParameterException(spec.commandLine(), "--in-flight must be between 1 and 100000, was " + inFlight);
        }
        Map<String, Object> clientConfig = loadKafkaConfig();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<AutoCloseable> resources = new ArrayList<>();
        Map<Platform, PushProvider> providers = new EnumMap<>(Platform.class);
        if (roles.contains(Role.WORKERS)) {
            if (mockProviders) {
                MockProviders mocks = MockProviders.start(registry);
                resources.add(mocks);
                providers.putAll(mocks.providers);
            } else {
                providers.putAll(realProviders(registry, resources));
            }
            if (providers.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "the workers role needs a provider: give --apns-key-file "
                        + "(with --apns-team-id and --apns-key-id) and/or --fcm-service-account-file, or --mock-providers");
            }
        }
        Pipeline.Settings settings = new Pipeline.Settings(bootstrapServers, clientConfig, partitions, replicationFactor,
                stateDir, StreamsSettings.DEFAULT_APPLICATION_ID, inFlight);
        CountDownLatch stopped = new CountDownLatch(1);
        Pipeline pipeline = Pipeline.start(settings, roles, providers, registry);
        resources.add(pipeline);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("pushline: stopping (draining in-flight pushes)");
            for (int i = resources.size() - 1; i >= 0; i--) {
                try {
                    resources.get(i).close();
                } catch (Exception e) {
                    System.err.println("pushline: closing failed: " + e);
                }
            }
            stopped.countDown();
        }, "pushline-shutdown"));
        System.out.printf("pushline: running %s against %s (providers: %s)%n", roles, bootstrapServers, providers.keySet());
        stopped.await();
        return 0;
    }

    private Map<Platform, PushProvider> realProviders(SimpleMeterRegistry registry, List<AutoCloseable> resources) throws IOException {
        Map<Platform, PushProvider> providers = new EnumMap<>(Platform.class);
        if (apnsKeyFile != null) {
            requireReadable("--apns-key-file", apnsKeyFile);
            if (apnsTeamId == null || apnsKeyId == null) {
                throw new ParameterException(spec.commandLine(), "--apns-key-file needs --apns-team-id and --apns-key-id");
            }
            PushProvider apns = ApnsProvider.builder()
                    .server(apnsHost, apnsPort)
                    .signingKey(Files.readString(apnsKeyFile, StandardCharsets.US_ASCII), apnsTeamId, apnsKeyId)
                    .maxQueued(Math.max(Pipeline.PROVIDER_QUEUE, 2 * inFlight))
                    .meterRegistry(registry)
                    .build();
            resources.add(apns);
            providers.put(Platform.APNS, apns);
        }
        if (fcmServiceAccount != null) {
            requireReadable("--fcm-service-account-file", fcmServiceAccount);
            FcmProvider.Builder builder = FcmProvider.builder().serviceAccountJson(fcmServiceAccount)
                    .maxQueued(Math.max(Pipeline.PROVIDER_QUEUE, 2 * inFlight)).meterRegistry(registry);
            if (fcmProjectId != null) {
                builder.projectId(fcmProjectId);
            }
            PushProvider fcm = builder.build();
            resources.add(fcm);
            providers.put(Platform.FCM, fcm);
        }
        return providers;
    }

    private void requireReadable(String option, Path file) {
        if (!Files.isReadable(file)) {
            throw new ParameterException(spec.commandLine(), option + ": cannot read " + file);
        }
    }

    private Map<String, Object> loadKafkaConfig() throws IOException {
        Map<String, Object> config = new HashMap<>();
        if (kafkaConfig == null) {
            return config;
        }
        requireReadable("--kafka-config", kafkaConfig);
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(kafkaConfig, StandardCharsets.UTF_8)) {
            props.load(reader);
        }
        props.forEach((k, v) -> config.put(k.toString(), v));
        return config;
    }
}

package io.pushline.app;

import io.pushline.admin.AdminArguments;
import io.pushline.admin.AdminCredentials;
import io.pushline.admin.AdminServer;
import io.pushline.ingest.IngestConfig;
import io.pushline.ingest.IngestServer;
import io.pushline.ingest.Publishers;
import io.pushline.localstack.MockProviders;
import io.pushline.observability.OpsServer;
import io.pushline.observability.ProcessMetrics;
import io.pushline.pipeline.Pipeline;

import io.pushline.pipeline.ProcessRole;

import io.pushline.contracts.Lane;
import io.pushline.contracts.Replication;
import io.pushline.push.Platform;
import io.pushline.push.PushProvider;
import io.pushline.topology.StreamsSettings;
import io.pushline.topology.TopologyConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code pushline run}: one or all roles against an existing Kafka cluster, until SIGTERM (which drains in-flight
 * pushes and commits before exiting), or until the pipeline cannot go on ({@code Pipeline.fatal()}: a worker whose poll
 * loop ended, a Streams application in ERROR), when it says why once, closes everything and exits with status
 * {@value #EXIT_FATAL}, for a supervisor to restart it. Secrets come from files named by options or environment variables, never from
 * the command line itself.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs Pushline roles against a Kafka cluster until stopped (SIGTERM drains and commits).")
final class RunCommand implements Callable<Integer> {
    /** The exit status of a process whose pipeline cannot go on (EX_SOFTWARE): a supervisor restarts it. */
    static final int EXIT_FATAL = 70;
    /** How often the process asks whether its pipeline can go on. */
    private static final java.time.Duration FATAL_CHECK_EVERY = java.time.Duration.ofSeconds(1);

    /** The publishers' JSON itself, for deployments that pass secrets as environment variables. */
    static final String INGEST_PUBLISHERS_JSON_ENV = "PUSHLINE_INGEST_PUBLISHERS_JSON";
    /** The admins' JSON itself ({@link AdminCredentials}), for deployments that pass secrets as environment variables. */
    static final String ADMIN_TOKENS_JSON_ENV = "PUSHLINE_ADMIN_TOKENS_JSON";

    @Spec
    CommandSpec spec;

    @Option(names = "--role", paramLabel = "ROLE", defaultValue = "${env:PUSHLINE_ROLE:-all}",
            description = {"router, coordinators, workers, a comma-separated list of them, or all (env PUSHLINE_ROLE; default: ${DEFAULT-VALUE});",
                    "ingest and admin run no pipeline role, only the HTTP ingest and the admin API (which need --ingest-address",
                    "and --admin-address)."})
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

    @Option(names = "--replication-factor", paramLabel = "N|auto", defaultValue = "${env:PUSHLINE_REPLICATION_FACTOR:-auto}",
            description = {"Replication factor of Pushline's topics, min.insync.replicas one less (at least 1) (env",
                    "PUSHLINE_REPLICATION_FACTOR; default: ${DEFAULT-VALUE}, min(3, brokers in the cluster)). N above the",
                    "cluster's brokers is an error at start."})
    String replicationFactor;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "${env:PUSHLINE_STATE_DIR:-.pushline/state}",
            description = "Kafka Streams state directory (env PUSHLINE_STATE_DIR; default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--in-flight", paramLabel = "N", defaultValue = "${env:PUSHLINE_IN_FLIGHT:-512}",
            description = "Pushes in flight per lane (env PUSHLINE_IN_FLIGHT; default: ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(names = "--expansion-page-size", paramLabel = "N", defaultValue = "${env:PUSHLINE_EXPANSION_PAGE_SIZE:-" + TopologyConfig.DEFAULT_PAGE_SIZE + "}",
            description = "Devices a running fanout expands per page and partition (env PUSHLINE_EXPANSION_PAGE_SIZE; default: ${DEFAULT-VALUE}).")
    int expansionPageSize;

    @Option(names = "--expansion-page-interval", paramLabel = "DURATION", defaultValue = "${env:PUSHLINE_EXPANSION_PAGE_INTERVAL:-50ms}",
            description = "Time between pages of a running fanout (env PUSHLINE_EXPANSION_PAGE_INTERVAL; default: ${DEFAULT-VALUE}).")
    String expansionPageInterval;

    @Option(names = "--app-weights", paramLabel = "APP=W[,APP=W...]", defaultValue = "${env:PUSHLINE_APP_WEIGHTS:-}",
            description = {"How apps (a post's appId) share the bulk lane when several fan out at once: weights 1 to 1000, "
                    + "* for apps not named (env PUSHLINE_APP_WEIGHTS; default: every app 1, equal shares).",
                    "Example: --app-weights big.example=1,small.example=1,*=2"})
    String appWeights;

    @Option(names = "--timeline-cap", paramLabel = "N/DURATION[:drop|:digest]", defaultValue = "${env:PUSHLINE_TIMELINE_CAP:-none}",
            description = {"At most N timeline notifications per user in any rolling DURATION (30m, 1h, 1d; 1m to 7d); a post over",
                    "it is not sent, each push gets a CANCELLED receipt 'policy cap'; with :digest, posts over it are merged into",
                    "one digest push per device, sent when a slot frees (env PUSHLINE_TIMELINE_CAP; default: none)."})
    String timelineCap;

    @Mixin
    ProviderOptions providerOptions = new ProviderOptions();

    @Option(names = "--coordinator-commit-interval", paramLabel = "DURATION",
            defaultValue = "${env:PUSHLINE_COORDINATOR_COMMIT_INTERVAL:-20ms}",
            description = {"How often the coordinators commit their transaction (1ms to 10s; env PUSHLINE_COORDINATOR_COMMIT_INTERVAL;",
                    "default: ${DEFAULT-VALUE}). Notifications and counts wait for it (push tasks do not); each commit costs a few",
                    "broker round trips."})
    String coordinatorCommitInterval;

    @Option(names = "--coordinator-parked-retention", paramLabel = "DURATION",
            defaultValue = "${env:PUSHLINE_COORDINATOR_PARKED_RETENTION:-7d}",
            description = {"How long a parked coordinator waits for an operator's retry or discard (1m to 365d; env",
                    "PUSHLINE_COORDINATOR_PARKED_RETENTION; default: ${DEFAULT-VALUE}); then it is discarded, dead-lettered and logged."})
    String coordinatorParkedRetention;

    @Option(names = "--like-digest", paramLabel = "DURATION|off", defaultValue = "${env:PUSHLINE_LIKE_DIGEST:-off}",
            description = {"The likes of one recipient within DURATION (1s to 1h) from the first become one push at its end",
                    "(\"alice, bob and 13 others liked your post\") instead of one push each; off (or 0) pushes every like at once",
                    "(env PUSHLINE_LIKE_DIGEST; default: ${DEFAULT-VALUE})."})
    String likeDigest;

    @Option(names = "--quiet-hours-pass-through", paramLabel = "CATEGORY[,CATEGORY...]",
            defaultValue = "${env:PUSHLINE_QUIET_HOURS_PASS_THROUGH:-}",
            description = {"Push categories that ignore the recipients' quiet hours: pushed at once instead of held (a muted",
                    "category is still not pushed); categories are like, follow and timeline (env PUSHLINE_QUIET_HOURS_PASS_THROUGH;",
                    "default: none)."})
    String quietHoursPassThrough;

    @Option(names = "--content-retention", paramLabel = "DURATION", defaultValue = "${env:PUSHLINE_CONTENT_RETENTION:-90d}",
            description = {"How long the moderation index keeps a post or like for a ban to remove (1d to 3650d; env",
                    "PUSHLINE_CONTENT_RETENTION; default: ${DEFAULT-VALUE}). A ban removes only content younger than this."})
    String contentRetention;

    @Option(names = "--invalidated-token-retention", paramLabel = "DURATION",
            defaultValue = "${env:PUSHLINE_INVALIDATED_TOKEN_RETENTION:-30d}",
            description = {"How long the device registry remembers a token a provider invalidated (1d to 3650d; env",
                    "PUSHLINE_INVALIDATED_TOKEN_RETENTION; default: ${DEFAULT-VALUE}), refusing older registrations of it."})
    String invalidatedTokenRetention;

    @Option(names = "--http-address", paramLabel = "HOST:PORT|off", defaultValue = "${env:PUSHLINE_HTTP_ADDRESS:-127.0.0.1:9400}",
            description = {"Where to serve /metrics (Prometheus), /health/live and /health/ready (env PUSHLINE_HTTP_ADDRESS;",
                    "default: ${DEFAULT-VALUE}; 0.0.0.0:9400 in a container; port 0 picks a free one; off serves nothing)."})
    String httpAddress;

    @Option(names = "--lag-interval", paramLabel = "DURATION", defaultValue = "${env:PUSHLINE_LAG_INTERVAL:-10s}",
            description = {"How often the router role reads consumer lag into the pushline_consumer_lag_* gauges",
                    "(env PUSHLINE_LAG_INTERVAL; 1s to 10m; default: ${DEFAULT-VALUE})."})
    String lagInterval;

    @Option(names = "--ingest-address", paramLabel = "HOST:PORT|off", defaultValue = "${env:PUSHLINE_INGEST_ADDRESS:-off}",
            description = {"Where to serve the HTTP ingest, POST /v1/events (env PUSHLINE_INGEST_ADDRESS; default: ${DEFAULT-VALUE};",
                    "port 0 picks a free one). Needs the publishers: --ingest-publishers or env " + INGEST_PUBLISHERS_JSON_ENV + "."})
    String ingestAddress;

    @Option(names = "--ingest-publishers", paramLabel = "FILE", defaultValue = "${env:PUSHLINE_INGEST_PUBLISHERS_FILE}",
            description = {"JSON file of the services allowed to publish over HTTP, with their tokens, types and rate limits",
                    "(env PUSHLINE_INGEST_PUBLISHERS_FILE; or the JSON itself in env " + INGEST_PUBLISHERS_JSON_ENV + ")."})
    Path ingestPublishers;

    @Option(names = "--ingest-dedup-window", paramLabel = "DURATION", defaultValue = "${env:PUSHLINE_INGEST_DEDUP_WINDOW:-10m}",
            description = {"How long the ingest remembers a source+id to drop its duplicates (per process; 0 turns it off;",
                    "env PUSHLINE_INGEST_DEDUP_WINDOW; default: ${DEFAULT-VALUE})."})
    String ingestDedupWindow;

    @Option(names = "--admin-address", paramLabel = "HOST:PORT|off", defaultValue = "${env:PUSHLINE_ADMIN_ADDRESS:-off}",
            description = {"Where to serve the admin API, /v1/admin/ (coordinators retry/discard, dead letters list/replay), on an",
                    "address of its own (env PUSHLINE_ADMIN_ADDRESS; default: ${DEFAULT-VALUE}). Needs the admins: --admin-tokens",
                    "or env " + ADMIN_TOKENS_JSON_ENV + "."})
    String adminAddress;

    @Option(names = "--admin-tokens", paramLabel = "FILE", defaultValue = "${env:PUSHLINE_ADMIN_TOKENS_FILE}",
            description = {"JSON file of the admins and their tokens, {\"admins\": [{\"name\": ..., \"tokenSha256\": ...}]}",
                    "(env PUSHLINE_ADMIN_TOKENS_FILE; or the JSON itself in env " + ADMIN_TOKENS_JSON_ENV + "). Never a publisher's token."})
    Path adminTokens;

    @Option(names = "--mock-providers", defaultValue = "${env:PUSHLINE_MOCK_PROVIDERS:-false}",
            description = "Send to in-process mock APNs and FCM servers instead (local use only; env PUSHLINE_MOCK_PROVIDERS).")
    boolean mockProviders;

    @Override
    public Integer call() throws Exception {
        Set<ProcessRole> roles;
        // The HTTP fronts (ingest, admin) alone run no pipeline role and provision no topics, so they can run with a
        // publisher's or an admin's Kafka credentials. (split(",") drops trailing empty parts, as it always has.)
        Set<String> frontOnly = new java.util.TreeSet<>();
        try {
            roles = ProcessRole.parse(String.join(",", role.split(",")));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--role: " + e.getMessage());
        }
        for (ProcessRole front : List.of(ProcessRole.INGEST, ProcessRole.ADMIN)) {
            if (roles.remove(front)) {
                frontOnly.add(front.name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        java.net.InetSocketAddress ingestAt;
        try {
            ingestAt = parseHttpAddress(ingestAddress);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--ingest-address: " + e.getMessage());
        }
        if (frontOnly.contains("ingest") && ingestAt == null) {
            throw new ParameterException(spec.commandLine(), "--role ingest needs --ingest-address HOST:PORT (env PUSHLINE_INGEST_ADDRESS)");
        }
        java.net.InetSocketAddress adminAt;
        try {
            adminAt = parseHttpAddress(adminAddress);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--admin-address: " + e.getMessage());
        }
        if (frontOnly.contains("admin") && adminAt == null) {
            throw new ParameterException(spec.commandLine(), "--role admin needs --admin-address HOST:PORT (env PUSHLINE_ADMIN_ADDRESS)");
        }
        Publishers ingestPublishersParsed = null;
        IngestConfig ingestConfig = null;
        if (ingestAt != null) {
            ingestPublishersParsed = loadPublishers(ingestPublishers, System.getenv(INGEST_PUBLISHERS_JSON_ENV), spec);
            java.time.Duration window;
            try {
                window = ingestDedupWindow.trim().equals("0") ? java.time.Duration.ZERO : Durations.parse(ingestDedupWindow);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--ingest-dedup-window: " + e.getMessage());
            }
            if (window.compareTo(java.time.Duration.ofDays(1)) > 0) {
                throw new ParameterException(spec.commandLine(), "--ingest-dedup-window must be at most 1d, was " + ingestDedupWindow);
            }
            ingestConfig = IngestConfig.defaults().withDedup(window, IngestConfig.DEFAULT_DEDUP_MAX_ENTRIES);
        }
        AdminCredentials admins = null;
        if (adminAt != null) {
            admins = loadAdmins(adminTokens, System.getenv(ADMIN_TOKENS_JSON_ENV), spec);
            if (ingestPublishersParsed != null) {
                String shared = admins.sharedWith(ingestPublishersParsed::hasTokenHash).orElse(null);
                if (shared != null) {
                    throw new ParameterException(spec.commandLine(), "admin '" + shared + "' has the same token as a publisher: "
                            + "admin tokens must be credentials of their own");
                }
            }
        } else if (adminTokens != null) {
            throw new ParameterException(spec.commandLine(), "--admin-tokens is given but the admin API is off: give --admin-address HOST:PORT");
        }
        if (partitions < 1 || partitions > 10_000) {
            throw new ParameterException(spec.commandLine(), "--partitions must be between 1 and 10000, was " + partitions);
        }
        Replication.Choice replication;
        try {
            replication = Replication.Choice.parse(replicationFactor);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--replication-factor: " + e.getMessage());
        }
        if (inFlight < 1 || inFlight > 100_000) {
            throw new ParameterException(spec.commandLine(), "--in-flight must be between 1 and 100000, was " + inFlight);
        }
        if (expansionPageSize < 1 || expansionPageSize > 100_000) {
            throw new ParameterException(spec.commandLine(), "--expansion-page-size must be between 1 and 100000, was " + expansionPageSize);
        }
        io.pushline.topology.AppWeights weights;
        try {
            weights = io.pushline.topology.AppWeights.parse(appWeights);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--app-weights: " + e.getMessage());
        }
        io.pushline.topology.FrequencyCap cap;
        try {
            cap = io.pushline.topology.FrequencyCap.parse(timelineCap);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--timeline-cap: " + e.getMessage());
        }
        java.time.Duration pageInterval = durationOption("--expansion-page-interval", expansionPageInterval,
                java.time.Duration.ofMillis(1), "1ms", java.time.Duration.ofMinutes(1), "1m");
        java.time.Duration commitInterval = durationOption("--coordinator-commit-interval", coordinatorCommitInterval,
                java.time.Duration.ofMillis(1), "1ms", java.time.Duration.ofSeconds(10), "10s");
        java.time.Duration parkedRetention = durationOption("--coordinator-parked-retention", coordinatorParkedRetention,
                java.time.Duration.ofMinutes(1), "1m", java.time.Duration.ofDays(365), "365d");
        java.time.Duration likeDigestWindow = likeDigestOption(likeDigest);
        Set<String> passThrough = passThroughOption(quietHoursPassThrough);
        java.time.Duration contentKept = durationOption("--content-retention", contentRetention,
                java.time.Duration.ofDays(1), "1d", java.time.Duration.ofDays(3650), "3650d");
        java.time.Duration tokensKept = durationOption("--invalidated-token-retention", invalidatedTokenRetention,
                java.time.Duration.ofDays(1), "1d", java.time.Duration.ofDays(3650), "3650d");
        java.time.Duration lagEvery = durationOption("--lag-interval", lagInterval,
                java.time.Duration.ofSeconds(1), "1s", java.time.Duration.ofMinutes(10), "10m");
        java.net.InetSocketAddress http;
        try {
            http = parseHttpAddress(httpAddress);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--http-address: " + e.getMessage());
        }
        if (adminAt != null) {
            sharesAddress(adminAt, http, "--http-address");
            sharesAddress(adminAt, ingestAt, "--ingest-address");
        }
        Map<String, Object> clientConfig = ClusterOptions.loadKafkaConfig(kafkaConfig, spec);
        io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry = ProcessMetrics.newRegistry();
        ProcessMetrics.bindGc(registry);   // for the process's lifetime
        List<AutoCloseable> resources = new ArrayList<>();
        Map<Lane, Map<Platform, PushProvider>> providers = new EnumMap<>(Lane.class);
        try {
            providerOptions.validate();
            if (roles.contains(ProcessRole.WORKERS)) {
                if (mockProviders) {
                    MockProviders mocks = MockProviders.start(registry);
                    resources.add(mocks);
                    providers.putAll(mocks.byLane());
                } else {
                    // Each lane gets its own clients (connections, in-flight capacity, circuit), so likes and follows
                    // never queue behind a fanout.
                    for (Lane lane : Lane.values()) {
                        Map<Platform, PushProvider> real = providerOptions.realProviders(registry,
                                Math.max(Pipeline.PROVIDER_QUEUE, 2 * inFlight), System::getenv, lane.name().toLowerCase(java.util.Locale.ROOT));
                        resources.addAll(real.values());
                        providers.put(lane, real);
                    }
                }
                if (providers.values().stream().allMatch(Map::isEmpty)) {
                    throw new ParameterException(spec.commandLine(), "the workers role needs a provider: give --apns-key-file "
                            + "(with --apns-team-id and --apns-key-id) or --apns-app, and/or --fcm-service-account-file "
                            + "(or env " + ProviderOptions.FCM_SERVICE_ACCOUNT_JSON_ENV + "), and/or --webpush-vapid-file (or env "
                            + ProviderOptions.WEBPUSH_VAPID_JSON_ENV + "), or --mock-providers");
                }
            }
        } catch (ProviderOptions.Invalid e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Pipeline.Settings settings = new Pipeline.Settings(bootstrapServers, clientConfig, partitions, replication,
                stateDir, StreamsSettings.DEFAULT_APPLICATION_ID, inFlight, expansionPageSize, pageInterval, commitInterval, lagEvery);
        CountDownLatch stopped = new CountDownLatch(1);
        Pipeline[] running = new Pipeline[1];
        if (http != null) {
            OpsServer ops = OpsServer.start(http, registry, () -> {
                Pipeline p = running[0];
                return p == null ? "starting" : p.notReady();
            }, () -> {
                Pipeline p = running[0];
                return p == null ? null : p.fatal();
            });
            resources.add(ops);
            System.out.printf("pushline: metrics at http://%s:%d/metrics, health at /health/live and /health/ready%n",
                    http.getHostString(), ops.port());
        }
        Pipeline pipeline;
        try {
            pipeline = Pipeline.startLanes(settings, roles, providers, registry, Pipeline.Tuning.NONE
                    .topology(t -> t.withRetention(contentKept, tokensKept).withAppWeights(weights).withTimelineCap(cap)
                            .withQuietHoursPassThrough(passThrough))
                    .workers(w -> w.withAppShares(weights::weight, w.readAhead()))
                    .coordinators(c -> c.withParkedRetention(parkedRetention).withLikeDigestWindow(likeDigestWindow)
                            .withQuietHoursPassThrough(passThrough)));
        } catch (RuntimeException e) {
            throw closeAll(resources, e);
        }
        resources.add(pipeline);
        running[0] = pipeline;
        if (ingestAt != null) {
            IngestServer ingest;
            try {
                ingest = IngestServer.start(ingestAt, ingestConfig, ingestPublishersParsed, settings.clients(), registry);
            } catch (RuntimeException e) {
                throw closeAll(resources, e);
            }
            resources.add(ingest);
            System.out.printf("pushline: ingest at http://%s:%d%s for %s%n", ingestAt.getHostString(), ingest.port(), IngestServer.PATH,
                    ingestPublishersParsed.names());
        }
        if (adminAt != null) {
            AdminServer admin;
            try {
                admin = AdminServer.start(adminAt, admins, AdminArguments.clients(clientConfig, bootstrapServers), registry);
            } catch (RuntimeException e) {
                throw closeAll(resources, e);
            }
            resources.add(admin);
            System.out.printf("pushline: admin API at http://%s:%d%s for %s%n", adminAt.getHostString(), admin.port(), AdminServer.PREFIX,
                    admins.names());
        }
        java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable closeResources = () -> {
            if (!closing.compareAndSet(false, true)) {
                return;   // the fatal path closed them already; the shutdown hook of its exit finds nothing to do
            }
            System.out.println("pushline: stopping (draining in-flight pushes)");
            for (int i = resources.size() - 1; i >= 0; i--) {
                try {
                    resources.get(i).close();
                } catch (Exception e) {
                    System.err.println("pushline: closing failed: " + e);
                }
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            closeResources.run();
            stopped.countDown();
        }, "pushline-shutdown"));
        System.out.printf("pushline: running %s against %s (providers: %s)%n", roles, bootstrapServers,
                providers.getOrDefault(Lane.BULK, Map.of()).keySet());
        // A process must never stay alive doing nothing: when the pipeline cannot go on, say why once, close, and exit
        // non-zero so that a supervisor restarts it (the records it had not finished are redelivered).
        while (!stopped.await(FATAL_CHECK_EVERY.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            String fatal = pipeline.fatal();
            if (fatal != null && !closing.get()) {
                System.err.println("pushline: cannot go on: " + fatal + "; exiting with status " + EXIT_FATAL
                        + " so that a supervisor restarts the process");
                closeResources.run();
                return EXIT_FATAL;
            }
        }
        return 0;
    }


    /** {@code HOST:PORT}, or null for {@code off}. */
    static java.net.InetSocketAddress parseHttpAddress(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("give HOST:PORT or off");
        }
        if (value.trim().equalsIgnoreCase("off")) {
            return null;
        }
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new IllegalArgumentException("'" + value + "' is not HOST:PORT (e.g. 127.0.0.1:9400) or off");
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value.substring(colon + 1) + "' is not a port number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
        }
        return new java.net.InetSocketAddress(value.substring(0, colon), port);
    }

    /** The admin API must have an address of its own, so that it can be bound and firewalled apart. */
    private void sharesAddress(java.net.InetSocketAddress admin, java.net.InetSocketAddress other, String option) {
        if (other != null && admin.getPort() != 0 && admin.getPort() == other.getPort()
                && (admin.getAddress() == null || other.getAddress() == null || admin.getAddress().isAnyLocalAddress()
                    || other.getAddress().isAnyLocalAddress() || admin.getAddress().equals(other.getAddress()))) {
            throw new ParameterException(spec.commandLine(), "--admin-address must differ from " + option + " (both are "
                    + admin.getHostString() + ":" + admin.getPort() + "): the admin API gets an address of its own");
        }
    }

    /** The admins, from {@code file} ({@code --admin-tokens}) or {@code json} (the environment); exactly one must be given. */
    static AdminCredentials loadAdmins(Path file, String json, CommandSpec spec) {
        SecretJson source = SecretJson.read(file, json, "the admins", "the admin API needs its admins", "--admin-tokens",
                "PUSHLINE_ADMIN_TOKENS_FILE", ADMIN_TOKENS_JSON_ENV, spec);
        try {
            return AdminCredentials.parse(source.text());
        } catch (io.pushline.credentials.BearerTokens.Invalid e) {
            throw new ParameterException(spec.commandLine(), source.where() + ": " + e.getMessage());
        }
    }

    /** Credentials as JSON, with where they came from for messages (never the text itself: it holds tokens). */
    record SecretJson(String text, String where) {
        /** From {@code file} (an option, or its env variable) or {@code json} (the JSON itself in env {@code jsonEnv}); exactly one. */
        static SecretJson read(Path file, String json, String what, String needs, String option, String fileEnv, String jsonEnv,
                               CommandSpec spec) {
            boolean fromJson = json != null && !json.isBlank();
            if (file != null && fromJson) {
                throw new ParameterException(spec.commandLine(), "give " + what + " once: " + option + " (or env " + fileEnv
                        + ") or env " + jsonEnv + ", not both");
            }
            if (file == null && !fromJson) {
                throw new ParameterException(spec.commandLine(), needs + ": " + option + " FILE (or env " + fileEnv
                        + "), or the JSON in env " + jsonEnv);
            }
            if (fromJson) {
                return new SecretJson(json, "env " + jsonEnv);
            }
            String where = option + " " + file;
            try {
                return new SecretJson(Files.readString(file, StandardCharsets.UTF_8), where);
            } catch (IOException | RuntimeException e) {
                throw new ParameterException(spec.commandLine(), where + ": cannot read it (" + e.getClass().getSimpleName() + ")");
            }
        }
    }

    /** Closes {@code resources} in reverse order after {@code failure}, which carries what failed to close; returns it. */
    private static RuntimeException closeAll(List<AutoCloseable> resources, RuntimeException failure) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception closing) {
                failure.addSuppressed(closing);
            }
        }
        return failure;
    }

    /**
     * The ingest's publishers, from {@code file} ({@code --ingest-publishers}) or {@code json} (the environment); exactly
     * one must be given. Errors name the field, never a token.
     */
    static Publishers loadPublishers(Path file, String json, CommandSpec spec) {
        SecretJson source = SecretJson.read(file, json, "the ingest's publishers", "the ingest needs its publishers",
                "--ingest-publishers", "PUSHLINE_INGEST_PUBLISHERS_FILE", INGEST_PUBLISHERS_JSON_ENV, spec);
        try {
            return Publishers.parse(source.text(), System::nanoTime);
        } catch (io.pushline.credentials.BearerTokens.Invalid e) {
            throw new ParameterException(spec.commandLine(), source.where() + ": " + e.getMessage());
        }
    }

    /** {@code --like-digest}: {@code off} or {@code 0} (zero: no digest), else a duration from 1s to 1h. */
    private java.time.Duration likeDigestOption(String text) {
        String t = text.trim();
        if (t.equalsIgnoreCase("off") || t.equals("0")) {
            return java.time.Duration.ZERO;
        }
        java.time.Duration d;
        try {
            d = Durations.parse(t);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--like-digest: " + e.getMessage() + "; or off");
        }
        if (d.compareTo(io.pushline.coordinators.CoordinatorConfig.MIN_LIKE_DIGEST) < 0
                || d.compareTo(io.pushline.coordinators.CoordinatorConfig.MAX_LIKE_DIGEST) > 0) {
            throw new ParameterException(spec.commandLine(), "--like-digest must be between 1s and 1h (or off), was " + text);
        }
        return d;
    }

    /**
     * {@code --quiet-hours-pass-through}: categories separated by commas (blank: none), each one of
     * {@code CoordinatorConfig.CATEGORIES}; an unknown one is a usage error naming it.
     */
    private Set<String> passThroughOption(String text) {
        Set<String> categories = new java.util.LinkedHashSet<>();
        for (String part : text.split(",")) {
            String category = part.trim();
            if (category.isEmpty()) {
                continue;
            }
            if (!io.pushline.coordinators.CoordinatorConfig.CATEGORIES.contains(category)) {
                throw new ParameterException(spec.commandLine(), "--quiet-hours-pass-through: unknown category '" + category
                        + "' (categories are like, follow and timeline)");
            }
            categories.add(category);
        }
        return Set.copyOf(categories);
    }

    /** The value of duration option {@code name}, between {@code min} and {@code max}, or a usage error naming both. */
    private java.time.Duration durationOption(String name, String text, java.time.Duration min, String minText,
                                              java.time.Duration max, String maxText) {
        java.time.Duration d;
        try {
            d = Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), name + ": " + e.getMessage());
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new ParameterException(spec.commandLine(), name + " must be between " + minText + " and " + maxText + ", was " + text);
        }
        return d;
    }
}

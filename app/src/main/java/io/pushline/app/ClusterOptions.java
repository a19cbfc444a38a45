package io.pushline.app;

import io.pushline.admin.AdminArguments;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/**
 * The cluster an operator command talks to, and as whom: {@code --bootstrap-servers} and {@code --kafka-config}, shared
 * (as a picocli mixin) by {@code pushline dlq}, {@code coordinators}, {@code acls} and {@code lag}.
 */
final class ClusterOptions {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT,...", defaultValue = "${env:PUSHLINE_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
            description = "Kafka bootstrap servers (env PUSHLINE_BOOTSTRAP_SERVERS; default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--kafka-config", paramLabel = "FILE", defaultValue = "${env:PUSHLINE_KAFKA_CONFIG}",
            description = "A properties file of extra Kafka client settings (security), as for `pushline run`.")
    Path kafkaConfig;

    /** The Kafka client settings of an admin operation; a --kafka-config that cannot be read is a usage error. */
    Map<String, Object> clients(CommandSpec spec) {
        return AdminArguments.clients(RunCommand.loadKafkaConfig(kafkaConfig, spec), bootstrapServers);
    }
}

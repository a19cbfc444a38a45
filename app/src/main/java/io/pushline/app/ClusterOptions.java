package io.pushline.app;

import io.pushline.admin.AdminArguments;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Properties;
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
        return AdminArguments.clients(loadKafkaConfig(kafkaConfig, spec), bootstrapServers);
    }

    /** The client settings in {@code file} ({@code --kafka-config}); none if it is null. A file that cannot be read is a usage error. */
    static Map<String, Object> loadKafkaConfig(Path file, CommandSpec spec) {
        Map<String, Object> config = new HashMap<>();
        if (file == null) {
            return config;
        }
        if (!Files.isReadable(file)) {
            throw new ParameterException(spec.commandLine(), "--kafka-config: cannot read " + file);
        }
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--kafka-config: " + file + ": " + e.getMessage());
        }
        props.forEach((k, v) -> config.put(k.toString(), v));
        return config;
    }
}

package io.pushline.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The builder: what it requires, what it refuses, and the producer configuration it really hands to Kafka. No broker. */
class PublisherConfigTest {
    private static final URI SOURCE = URI.create("urn:pushline:publisher-test");
    private static String nowhere;

    @BeforeAll
    static void findAClosedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            nowhere = "127.0.0.1:" + socket.getLocalPort();
        }
    }

    private static Publisher.Builder valid() {
        return Publisher.builder().bootstrapServers(nowhere).source(SOURCE);
    }

    @Test
    void theProducerIsAlwaysIdempotentWithAcksAll() {
        String clientId = "config-" + UUID.randomUUID();
        try (Publisher publisher = valid()
                .property(ProducerConfig.CLIENT_ID_CONFIG, clientId)
                .property(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, RecordingInterceptor.class.getName())
                .build()) {
            assertThat(publisher).isNotNull();
            // What the real KafkaProducer was built with, parsed by Kafka's own ProducerConfig.
            ProducerConfig config = new ProducerConfig(RecordingInterceptor.configOf(clientId));
            assertThat(RecordingInterceptor.configOf(clientId)).containsEntry(ProducerConfig.ACKS_CONFIG, "all");
            assertThat(config.getString(ProducerConfig.ACKS_CONFIG)).isEqualTo("-1");   // Kafka's spelling of "all"
            assertThat(config.getBoolean(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG)).isTrue();
            assertThat(config.getInt(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION)).isEqualTo(Publisher.MAX_IN_FLIGHT);
            assertThat(config.getLong(ProducerConfig.MAX_BLOCK_MS_CONFIG)).isEqualTo(Publisher.DEFAULT_MAX_BLOCK.toMillis());
            assertThat(config.getInt(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)).isEqualTo(Publisher.DEFAULT_MAX_REQUEST_BYTES);
            assertThat(config.getList(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)).containsExactly(nowhere);
        }
    }

    @Test
    void typedSettersAndPropertiesReachTheProducer() {
        String clientId = "config-" + UUID.randomUUID();
        try (Publisher publisher = valid()
                .properties(Map.of(ProducerConfig.CLIENT_ID_CONFIG, clientId,
                        ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, RecordingInterceptor.class.getName(),
                        "security.protocol", "PLAINTEXT",
                        ProducerConfig.ACKS_CONFIG, "-1",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "TRUE",
                        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1))
                .bufferMemory(1_000_000)
                .maxBlock(Duration.ofMillis(1234))
                .deliveryTimeout(Duration.ofSeconds(45))
                .build()) {
            assertThat(publisher).isNotNull();
            ProducerConfig config = new ProducerConfig(RecordingInterceptor.configOf(clientId));
            assertThat(config.getLong(ProducerConfig.BUFFER_MEMORY_CONFIG)).isEqualTo(1_000_000L);
            assertThat(config.getLong(ProducerConfig.MAX_BLOCK_MS_CONFIG)).isEqualTo(1234L);
            assertThat(config.getInt(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)).isEqualTo(45_000);
            assertThat(config.getInt(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION)).isEqualTo(1);
            assertThat(config.getString(ProducerConfig.ACKS_CONFIG)).isEqualTo("-1");
            assertThat(config.getString("security.protocol")).isEqualTo("PLAINTEXT");
        }
    }

    static Stream<Arguments> contradictions() {
        return Stream.of(
                Arguments.of(ProducerConfig.ACKS_CONFIG, "0"),
                Arguments.of(ProducerConfig.ACKS_CONFIG, "1"),
                Arguments.of(ProducerConfig.ACKS_CONFIG, 1),
                Arguments.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false"),
                Arguments.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false),
                Arguments.of(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 6),
                Arguments.of(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "0"),
                Arguments.of(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "many"),
                Arguments.of(ProducerConfig.RETRIES_CONFIG, 0),
                Arguments.of(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()),
                Arguments.of(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class),
                Arguments.of(ProducerConfig.PARTITIONER_CLASS_CONFIG, "com.example.MyPartitioner"),
                Arguments.of(ProducerConfig.PARTITIONER_IGNORE_KEYS_CONFIG, "true"),
                Arguments.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "my-service"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("contradictions")
    void settingsThatContradictTheIdempotentProducerAreRefusedByName(String name, Object value) {
        Publisher.Builder builder = valid().property(name, value);
        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(name)
                .hasMessageContaining("refused");
    }

    @Test
    void aContradictionIsRefusedWhicheverWayItArrives() {
        assertThatThrownBy(() -> valid().properties(Map.of("acks", "1")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("acks=1 is refused: the publisher always waits for all in-sync replicas (acks=all)");
        assertThatThrownBy(() -> valid().property("enable.idempotence", " False ").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("enable.idempotence= False  is refused: the publisher's producer is always idempotent");
        assertThatThrownBy(() -> valid().property("key.serializer", "x").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key.serializer is refused: the publisher writes String keys and CloudEvents JSON values itself");
    }

    @Test
    void sourceAndBootstrapServersAreRequired() {
        assertThatThrownBy(() -> Publisher.builder().bootstrapServers(nowhere).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("source is required");
        assertThatThrownBy(() -> Publisher.builder().bootstrapServers(nowhere).source(URI.create("")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("source must not be empty");
        assertThatThrownBy(() -> Publisher.builder().source(SOURCE).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bootstrapServers (bootstrap.servers) is required");
        assertThatThrownBy(() -> Publisher.builder().source(SOURCE).bootstrapServers(" ").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bootstrapServers (bootstrap.servers) is required");
    }

    @Test
    void badValuesAreRefusedNamingTheField() {
        assertThatThrownBy(() -> valid().maxBlock(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxBlock must be >= 0 but was PT-0.001S");
        assertThatThrownBy(() -> valid().deliveryTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("deliveryTimeout must be > 0 but was PT0S");
        assertThatThrownBy(() -> valid().bufferMemory(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("bufferMemory must be > 0 but was 0");
        assertThatThrownBy(() -> valid().property("linger.ms", null))
                .isInstanceOf(NullPointerException.class).hasMessage("linger.ms must not be null");
        assertThatThrownBy(() -> valid().source(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> valid().clock(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> valid().idSupplier(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void valuesKafkaRefusesAreIllegalArgumentsNamingTheProperty() {
        assertThatThrownBy(() -> valid().property("linger.ms", "soon").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("linger.ms");
        // Kafka's own rule: a delivery timeout shorter than linger.ms + request.timeout.ms is a contradiction.
        assertThatThrownBy(() -> valid().deliveryTimeout(Duration.ofSeconds(1)).property("request.timeout.ms", 5000).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delivery.timeout.ms");
        assertThatThrownBy(() -> Publisher.builder().source(SOURCE).bootstrapServers("no port here").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bootstrap");
    }

    @Test
    void closeIsIdempotentAndRefusesNegativeTimeouts() {
        Publisher publisher = valid().build();
        assertThatThrownBy(() -> publisher.close(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout must be >= 0 but was PT-1S");
        publisher.close(Duration.ZERO);
        publisher.close(Duration.ZERO);
        publisher.close();
    }
}

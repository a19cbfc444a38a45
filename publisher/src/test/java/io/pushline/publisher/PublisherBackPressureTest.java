package io.pushline.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pushline.contracts.FollowCreated;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A cluster slower than the publisher: the broker throttles this publisher's client id to 2 KiB/s (a produce quota),
 * so acknowledgements stop coming, events pile up in the producer's small buffer, and {@code publish} blocks for
 * {@code max.block.ms} and then fails its future. Every other future completes within the delivery timeout; none hangs.
 */
@KafkaIntegrationTest
class PublisherBackPressureTest {
    private static final URI SOURCE = URI.create("urn:example:service:back-pressure-test");

    private final String clientId = "back-pressure-" + UUID.randomUUID();
    private KafkaBroker broker;

    @AfterEach
    void removeQuota() throws Exception {
        if (broker != null) {
            setProducerByteRate(null);
        }
    }

    @Test
    void aFullBufferBlocksPublishForMaxBlockAndThenFailsItsFuture(KafkaBroker broker) throws Exception {
        this.broker = broker;
        EventsTopic.open(broker).close();
        setProducerByteRate(2_048.0);
        ClientQuotaFilter ours = ClientQuotaFilter.containsOnly(
                List.of(ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.CLIENT_ID, clientId)));
        await().atMost(Duration.ofSeconds(30)).until(
                () -> broker.admin().describeClientQuotas(ours).entities().get(30, TimeUnit.SECONDS), quotas -> !quotas.isEmpty());
        Duration maxBlock = Duration.ofMillis(300);
        Duration deliveryTimeout = Duration.ofSeconds(5);
        List<CompletableFuture<Published>> held = new ArrayList<>();
        CompletableFuture<Published> refused = null;
        long blockedMillis = -1;
        Publisher publisher = Publisher.builder().bootstrapServers(broker.bootstrapServers()).source(SOURCE)
                .property(ProducerConfig.CLIENT_ID_CONFIG, clientId)
                .bufferMemory(4_096)
                .property(ProducerConfig.BATCH_SIZE_CONFIG, 1_024)
                .property(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000)
                .deliveryTimeout(deliveryTimeout)
                .maxBlock(maxBlock)
                .build();
        try {
            for (int i = 0; i < 2_000 && refused == null; i++) {
                long start = System.nanoTime();
                CompletableFuture<Published> f = publisher.publish(new FollowCreated("follower-" + i, "user-1"));
                if (f.isCompletedExceptionally()) {
                    refused = f;
                    blockedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                } else {
                    held.add(f);
                }
            }
            assertThat(refused).as("a publish refused for want of buffer space").isNotNull();
            assertThat(held).as("events buffered before it").isNotEmpty();
            assertThat(blockedMillis).as("publish blocked for max.block.ms, not forever").isBetween(250L, 5_000L);
            PublishException failure = PublisherRefusalTest.failure(refused);
            assertThat(failure.retriable()).isTrue();
            assertThat(failure.getCause()).isInstanceOf(BufferExhaustedException.class);
            assertThat(failure.eventId()).isNotBlank();

            // Acknowledged late or expired: each held future completes within the delivery timeout, none hangs.
            CompletableFuture.allOf(held.toArray(CompletableFuture[]::new)).handle((ok, failed) -> null)
                    .get(deliveryTimeout.plusSeconds(15).toMillis(), TimeUnit.MILLISECONDS);
            assertThat(held).isNotEmpty().allSatisfy(f -> assertThat(f).isDone());
        } finally {
            publisher.close(Duration.ofSeconds(5));
        }
    }

    private void setProducerByteRate(Double bytesPerSecond) throws Exception {
        ClientQuotaEntity entity = new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, clientId));
        ClientQuotaAlteration alteration = new ClientQuotaAlteration(entity,
                List.of(new ClientQuotaAlteration.Op("producer_byte_rate", bytesPerSecond)));
        broker.admin().alterClientQuotas(List.of(alteration)).all().get(30, TimeUnit.SECONDS);
    }
}

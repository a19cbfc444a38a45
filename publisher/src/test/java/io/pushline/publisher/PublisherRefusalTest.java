package io.pushline.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pushline.contracts.EventData;
import io.pushline.contracts.EventType;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Topics;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What {@link Publisher#publish} refuses, and how: programming errors throw before anything reaches the producer
 * (the interceptor counts every record handed to {@code KafkaProducer.send}); invalid events and an unreachable
 * cluster fail the future, within a bound. No broker: the bootstrap address is a closed port.
 */
class PublisherRefusalTest {
    private static final URI SOURCE = URI.create("urn:pushline:publisher-test");

    private String clientId;
    private Publisher publisher;

    @BeforeEach
    void start() throws IOException {
        String nowhere;
        try (ServerSocket socket = new ServerSocket(0)) {
            nowhere = "127.0.0.1:" + socket.getLocalPort();
        }
        clientId = "refusal-" + UUID.randomUUID();
        publisher = Publisher.builder().bootstrapServers(nowhere).source(SOURCE)
                .property(ProducerConfig.CLIENT_ID_CONFIG, clientId)
                .property(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, RecordingInterceptor.class.getName())
                .maxBlock(Duration.ofMillis(500))
                .build();
    }

    @AfterEach
    void stop() {
        publisher.close(Duration.ZERO);
    }

    static Iterable<EventData> internalTypes() {
        return Events.internal();
    }

    @ParameterizedTest
    @MethodSource("internalTypes")
    void typesOnlyPushlineWritesAreRefusedBeforeAnyIo(EventData data) {
        assertThat(data.type().publishable()).isFalse();
        assertThatThrownBy(() -> publisher.publish(data))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(data.type().ceType() + " (" + data.getClass().getSimpleName()
                        + ") is written only by Pushline; the router dead-letters it on " + Topics.EVENTS);
        assertThatThrownBy(() -> publisher.publish("evt-1", data)).isInstanceOf(IllegalArgumentException.class);
        assertThat(RecordingInterceptor.sendsOf(clientId)).isZero();
    }

    @Test
    void theInternalTypesAreExactlyTheOnesNotInTheReadmeTable() {
        assertThat(Events.internal()).map(EventData::type).doesNotHaveDuplicates()
                .containsExactlyInAnyOrder(java.util.Arrays.stream(EventType.values())
                        .filter(t -> !Events.publishable().containsKey(t)).toArray(EventType[]::new));
    }

    @Test
    void nullsThrowAtOnce() {
        assertThatThrownBy(() -> publisher.publish(null))
                .isInstanceOf(NullPointerException.class).hasMessage("data must not be null");
        assertThatThrownBy(() -> publisher.publish("evt-1", null))
                .isInstanceOf(NullPointerException.class).hasMessage("data must not be null");
        assertThatThrownBy(() -> publisher.publish(null, new FollowCreated("a", "b")))
                .isInstanceOf(NullPointerException.class).hasMessage("eventId must not be null");
        assertThat(RecordingInterceptor.sendsOf(clientId)).isZero();
    }

    @Test
    void anIdSupplierReturningNullIsAProgrammingError() {
        try (Publisher broken = Publisher.builder().bootstrapServers("127.0.0.1:9").source(SOURCE)
                .idSupplier(() -> null).build()) {
            assertThatThrownBy(() -> broken.publish(new FollowCreated("a", "b")))
                    .isInstanceOf(NullPointerException.class).hasMessage("the id supplier returned null");
        }
    }

    @Test
    void anIdBreakingTheIdRuleFailsTheFutureWithoutIo() {
        CompletableFuture<Published> future = publisher.publish("order|42", new FollowCreated("user-2", "user-1"));
        PublishException failure = failure(future);
        assertThat(failure.eventId()).isEqualTo("order|42");
        assertThat(failure.type()).isEqualTo(EventType.FOLLOW_CREATED);
        assertThat(failure.retriable()).isFalse();
        assertThat(failure.getCause()).isInstanceOf(IllegalArgumentException.class);
        assertThat(failure).hasMessageStartingWith("publishing io.pushline.follow.created.v1 event 'order|42' failed: ")
                .hasMessageContaining("Envelope.id must match");
        assertThat(RecordingInterceptor.sendsOf(clientId)).isZero();
    }

    @Test
    void dataBreakingItsSchemaFailsTheFutureNamingTheField() {
        PublishException failure = failure(publisher.publish("evt-2", new FollowCreated("user|2", "user-1")));
        assertThat(failure.eventId()).isEqualTo("evt-2");
        assertThat(failure.retriable()).isFalse();
        assertThat(failure).hasMessageContaining("FollowCreated breaks follow-created.schema.json").hasMessageContaining("followerId");
        assertThat(RecordingInterceptor.sendsOf(clientId)).isZero();
    }

    @Test
    void anUnreachableClusterFailsTheFutureAfterMaxBlockNeverHangs() throws Exception {
        long start = System.nanoTime();
        CompletableFuture<Published> future = publisher.publish(new FollowCreated("user-2", "user-1"));
        long publishMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        PublishException failure = failure(future);
        assertThat(failure.retriable()).isTrue();
        assertThat(failure.getCause()).isInstanceOf(TimeoutException.class);
        assertThat(failure.eventId()).isEqualTo(UUID.fromString(failure.eventId()).toString());
        // publish blocked for the metadata it could not get, for max.block.ms (500 ms) and not much longer.
        assertThat(publishMillis).isBetween(400L, 5_000L);
        assertThat(RecordingInterceptor.sendsOf(clientId)).isEqualTo(1);

        long closing = System.nanoTime();
        publisher.close(Duration.ofSeconds(1));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closing)).isLessThan(5_000L);
    }

    @Test
    void withMaxBlockZeroPublishNeverBlocks() {
        try (Publisher nonBlocking = Publisher.builder().bootstrapServers("127.0.0.1:9").source(SOURCE)
                .maxBlock(Duration.ZERO).build()) {
            CompletableFuture<Published> future = nonBlocking.publish(new FollowCreated("user-2", "user-1"));
            // Failed before publish returned: nothing waited for the metadata.
            assertThat(future).isCompletedExceptionally();
            assertThat(failure(future).getCause()).isInstanceOf(TimeoutException.class);
        }
    }

    @Test
    void aClosedPublisherFailsTheFuture() {
        publisher.close(Duration.ZERO);
        PublishException failure = failure(publisher.publish("evt-3", new FollowCreated("user-2", "user-1")));
        assertThat(failure.retriable()).isFalse();
        assertThat(failure.getCause()).isInstanceOf(IllegalStateException.class).hasMessage("the publisher is closed");
        assertThat(RecordingInterceptor.sendsOf(clientId)).isZero();
    }

    /** The PublishException {@code future} failed with, waiting at most 10 s. */
    static PublishException failure(CompletableFuture<Published> future) {
        try {
            Published unexpected = future.get(10, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure but was " + unexpected);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(PublishException.class);
            return (PublishException) e.getCause();
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the future did not complete within 10 s", e);
        }
    }
}

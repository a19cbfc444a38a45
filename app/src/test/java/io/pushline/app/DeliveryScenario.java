package io.pushline.app;

import io.pushline.localstack.LocalStack;
import io.pushline.observability.ConsumerLag;

import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.publisher.Publisher;
import io.pushline.topology.StreamsSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Events through every stage of a running {@code pushline run} (router, device registry, coordinators, expansion, both
 * worker lanes): two devices registered, a follow and a like (high lane, through the coordinators) and a timeline post
 * (bulk lane, through the expansion), published through {@link Publisher}; the receipts of exactly the three expected
 * pushes must come, all delivered. The publisher's client settings and the observer's (who reads lag and receipts)
 * are separate, so that the publisher may be allowed to write events and nothing else.
 */
final class DeliveryScenario {
    private DeliveryScenario() {
    }

    /** Runs the scenario against {@code pushline}; returns the receipt keys, each delivered. */
    static Set<String> run(PushlineChild pushline, URI source, Map<String, Object> publisherConfig, Map<String, Object> observerConfig,
                           Duration wait) throws Exception {
        try (Publisher publisher = Publisher.builder().source(source).properties(publisherConfig).build();
             Admin admin = Admin.create(observerConfig)) {
            ConsumerLag lag = new ConsumerLag(admin);
            String bobToken = (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
            String carolToken = UUID.randomUUID().toString().replace("-", "") + ":APA91b" + UUID.randomUUID().toString().replace("-", "");
            Instant now = Instant.now();
            publish(publisher, new DeviceRegistered("bob", bobToken, Platform.APNS, "io.pushline.test", now));
            publish(publisher, new DeviceRegistered("carol", carolToken, Platform.FCM, "io.pushline.test.android", now));
            // The devices reach the state, then the coordinators' and the expansion's stores, before anything needs them.
            LocalStack.awaitCaughtUp(admin, StreamsSettings.DEFAULT_APPLICATION_ID, List.of(Topics.EVENTS, Topics.DEVICE_EVENTS_BY_TOKEN), wait);
            LocalStack.awaitCaughtUp(admin, StreamsSettings.DEFAULT_APPLICATION_ID, List.of(Topics.STATE_DEVICES), wait);
            LocalStack.awaitCaughtUp(admin, CoordinatorTopology.DEFAULT_APPLICATION_ID, List.of(Topics.EVENTS, Topics.STATE_DEVICES), wait);

            String follow = publish(publisher, new FollowCreated("carol", "bob"));
            String like = publish(publisher, new LikeCreated("carol", "post-1", "bob"));
            LocalStack.awaitCaughtUp(admin, StreamsSettings.DEFAULT_APPLICATION_ID, List.of(Topics.EVENTS, Topics.STATE_FOLLOWS), wait);
            String post = publish(publisher, new TimelinePosted("post-2", "bob", "bob posted", "hello"));

            Set<String> expected = Set.of("bob|" + PushIds.pushId(source.toString(), follow, bobToken), "bob|" + PushIds.pushId(source.toString(), like, bobToken),
                    "carol|" + PushIds.pushId(source.toString(), post, carolToken));
            Map<String, String> receipts = awaitReceipts(pushline, observerConfig, expected, wait);
            assertThat(receipts.keySet()).as("receipts: exactly the expected pushes").isEqualTo(expected);
            assertThat(receipts.values()).isNotEmpty().allSatisfy(receipt -> assertThat(receipt).contains("\"DELIVERED\""));
            return expected;
        }
    }

    /** Publishes {@code data} with a new event id and waits for the broker's acknowledgement; returns the id. */
    private static String publish(Publisher publisher, EventData data) throws Exception {
        String eventId = UUID.randomUUID().toString();
        publisher.publish(eventId, data).get(30, TimeUnit.SECONDS);
        return eventId;
    }

    /** The receipts on {@link Topics#PUSH_RECEIPTS}, by key, once they hold every expected key. */
    private static Map<String, String> awaitReceipts(PushlineChild pushline, Map<String, Object> clientConfig, Set<String> expected,
                                                     Duration wait) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "it-receipts-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, String> receipts = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.PUSH_RECEIPTS));
            pushline.awaitOrShowOutput("the receipts of " + expected.size() + " pushes", wait, () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> receipts.put(r.key(), r.value()));
                return receipts.keySet().containsAll(expected);
            });
        }
        return receipts;
    }
}

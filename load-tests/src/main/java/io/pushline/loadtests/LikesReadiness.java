package io.pushline.loadtests;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.localstack.LocalStack;
import io.pushline.loadtests.LikesScenario.Owner;
import io.pushline.loadtests.LikesScenario.Readiness;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.pushline.loadtests.LikesScenario.SOURCE;
import static io.pushline.loadtests.LikesScenario.awaitAnswered;
import static io.pushline.loadtests.LikesScenario.earliest;
import static io.pushline.loadtests.LikesScenario.like;

/**
 * Before the likes scenario measures anything: the owners' devices registered, and known to the coordinators, proven
 * by a push accepted for a like to each owner.
 */
final class LikesReadiness {
    /** How long a round of readiness likes may take before the owners still without a push get another like. */
    static final Duration READY_ROUND = Duration.ofSeconds(20);
    /** How long the owners may take, in all, to become known to the coordinators. */
    static final Duration READY_LIMIT = Duration.ofMinutes(5);

    private LikesReadiness() {
    }

    /**
     * Registers one device per owner through {@code DeviceRegistered} events and waits until the coordinators know
     * them all: after the topology and the coordinators have caught up with the devices, one like per owner, and
     * another for each owner whose like led to no accepted push, until every owner has had one (bounded).
     */
    static Readiness prepare(LocalStack stack, MixedScenario.Likes stream, CloudEventCodec codec, List<Owner> owners,
                                     AtomicLong sequence, int ratePerSec, Instant deadline) throws Exception {
        Instant start = Instant.now();
        register(stack, codec, owners);
        long registerMillis = Duration.between(start, Instant.now()).toMillis();
        Instant limit = earliest(deadline, Instant.now().plus(READY_LIMIT));
        System.out.printf("  registered %,d devices (one per owner, half APNs, half FCM) in %,d ms; waiting for the "
                + "coordinators to know them ...%n", owners.size(), registerMillis);
        Instant readyStart = Instant.now();
        stack.awaitStateMaterialised(Duration.between(Instant.now(), limit));
        awaitCoordinatorsCaughtUp(stack, limit);
        stack.apns().ledger().clear();
        stack.fcm().ledger().clear();
        List<Owner> missing = owners;
        int rounds = 0;
        long sent = 0;
        while (!missing.isEmpty()) {
            if (!Instant.now().isBefore(limit)) {
                throw new IllegalStateException(missing.size() + " of " + owners.size() + " owners had no push accepted for a like "
                        + "after " + rounds + " rounds in " + Duration.between(readyStart, Instant.now()).toSeconds()
                        + " s: the coordinators do not know their devices");
            }
            rounds++;
            List<Owner> targets = missing;
            Map<String, Owner> byPushId = new ConcurrentHashMap<>();
            MixedScenario.Phase round = stream.publish(rounds == 1 ? "owners ready" : null, (i, now) -> {
                Owner owner = targets.get((int) i);
                MixedScenario.Message m = like(codec, owner, sequence.getAndIncrement(), now);
                byPushId.put(m.pushId(), owner);
                return m;
            }, ratePerSec, targets.size(), () -> false, limit);
            sent += round.sentAt().size();
            awaitAnswered(stream, round.sentAt().size(), earliest(limit, Instant.now().plus(READY_ROUND)));
            Map<String, Integer> accepted = stack.acceptedByPushId();
            Set<Owner> ready = new HashSet<>();
            byPushId.forEach((pushId, owner) -> {
                if (accepted.containsKey(pushId)) {
                    ready.add(owner);
                }
            });
            missing = targets.stream().filter(o -> !ready.contains(o)).toList();
            if (!missing.isEmpty()) {
                System.out.printf("  %,d owners had no push yet; liking their posts again%n", missing.size());
            }
        }
        long readyMillis = Duration.between(readyStart, Instant.now()).toMillis();
        System.out.printf("  the coordinators know every owner's device: %,d ms, %d round%s of readiness likes%n", readyMillis,
                rounds, rounds == 1 ? "" : "s");
        return new Readiness(registerMillis, readyMillis, rounds, sent);
    }

    private static void register(LocalStack stack, CloudEventCodec codec, List<Owner> owners) throws Exception {
        Map<String, Object> config = stack.producerConfig();
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        AtomicLong failures = new AtomicLong();
        Instant registeredAt = Instant.now();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            for (Owner owner : owners) {
                producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), SOURCE, registeredAt,
                        new DeviceRegistered(owner.userId(), owner.token(), owner.platform(), owner.appId(), registeredAt))),
                        (metadata, error) -> {
                            if (error != null) {
                                failures.incrementAndGet();
                            }
                        });
            }
            producer.flush();
        }
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " of " + owners.size() + " device registrations could not be published");
        }
    }

    /** Waits, bounded by {@code limit}, until the coordinators have consumed every device the topology materialised. */
    private static void awaitCoordinatorsCaughtUp(LocalStack stack, Instant limit) throws InterruptedException {
        while (Instant.now().isBefore(limit)) {
            try {
                if (stack.lag(CoordinatorTopology.DEFAULT_APPLICATION_ID, List.of(Topics.STATE_DEVICES)) == 0) {
                    return;
                }
            } catch (IllegalStateException e) {
                // The group may not have committed yet; the readiness likes decide in the end.
            }
            TimeUnit.MILLISECONDS.sleep(50);   // poll interval of a bounded wait for a condition
        }
    }
}

package io.pushline.workers;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventType;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Lane;
import io.pushline.contracts.PushReceipt;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.ReceiptStatus;
import io.pushline.contracts.Topics;
import io.pushline.push.Platform;
import io.pushline.push.PushProvider;
import io.pushline.push.Tokens;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Carries out what {@link Delivery} decides for one record: the provider call, the receipt, retry, dead-letter and
 * invalidation writes, and the metrics and log lines of each outcome. Every returned future completes when what the
 * record led to is acknowledged by the broker, so the worker counts the record as finished only then.
 *
 * <p>Producer callbacks complete on a small executor of its own ({@link #close} shuts it down). Thread-safe.
 */
final class DeliveryEffects implements AutoCloseable {
    // The worker's logger: these lines were the worker's, and filters set on its name still apply to them.
    private static final Logger log = LoggerFactory.getLogger(PushWorker.class);

    private final WorkerConfig config;
    private final Delivery delivery;
    private final Guards guards;
    private final Producer<String, byte[]> producer;
    private final Map<Platform, PushProvider> providers;
    private final WorkerMetrics metrics;
    private final LaneGovernor governor;   // null: no other lane to give way to
    private final Clock clock;
    private final Set<String> retryTopics;
    /**
     * Push tasks (written by the expansion) and receipts (by workers) skip their schema check: they are Pushline's own
     * records, still strictly bound, and the check was a fifth of a push's cost in the pipeline (see
     * {@link CloudEventCodec#trusting}). A constraint only the schema states is then left to the provider's guards
     * (payload size) and answers (a bad token is a permanent rejection).
     */
    private final CloudEventCodec codec = new CloudEventCodec(CloudEventCodec.DEFAULT_MAX_EVENT_BYTES)
            .trusting(EventType.PUSH_TASK, EventType.PUSH_RECEIPT);
    private final ExecutorService callbacks;
    private final Duration transientBound;
    private final BooleanSupplier running;

    DeliveryEffects(WorkerConfig config, Delivery delivery, Guards guards, Producer<String, byte[]> producer,
                    Map<Platform, PushProvider> providers, WorkerMetrics metrics, LaneGovernor governor, Clock clock,
                    Duration transientBound, BooleanSupplier running) {
        this.transientBound = transientBound;
        this.running = running;
        this.config = config;
        this.delivery = delivery;
        this.guards = guards;
        this.producer = producer;
        this.providers = Map.copyOf(providers);
        this.metrics = metrics;
        this.governor = governor;
        this.clock = clock;
        this.retryTopics = Set.copyOf(RetryTopics.names(config));
        String lane = config.lane().name().toLowerCase(Locale.ROOT);
        AtomicInteger threads = new AtomicInteger();
        this.callbacks = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "pushline-worker-" + lane + "-acks-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Decides on one record and carries the decision out; completes when its last write is acknowledged. */
    CompletableFuture<Void> process(ConsumerRecord<String, byte[]> record) {
        Delivery.Verdict verdict = delivery.decide(codec.decode(record.headers(), record.value()), arrival(record));
        if (verdict instanceof Delivery.Unreadable unreadable) {
            return deadLetter(record, unreadable.reason(), unreadable.detail());
        }
        if (verdict instanceof Delivery.Duplicate) {
            metrics.deduplicated();
            return CompletableFuture.completedFuture(null);
        }
        if (verdict instanceof Delivery.Hold hold) {
            // Rare: the worker dispatches nothing while a check cannot answer, so only a record dispatched as one
            // stopped answering gets here. It stays in flight, unfinished (so uncommitted), and is decided again once
            // the checks answer; if they never do, the worker fails and the record is redelivered to the next one.
            log.debug("{} lane: push {} held: {}", config.lane(), hold.pushId(), hold.reason());
            return guards.whenAnswering().thenComposeAsync(ignored -> process(record), callbacks);
        }
        Delivery.Checked checked = (Delivery.Checked) verdict;
        PushTask task = checked.task();
        if (checked.resentFrom() != null) {
            log.atInfo().addKeyValue(DeadLetters.LOG_EVENT_ID, task.sourceEventId()).log(
                    "{} lane: push {} replayed from {} after a FAILED receipt: sending it again", config.lane(), task.pushId(),
                    checked.resentFrom());
        }
        if (checked instanceof Delivery.Skip skip) {
            metrics.outcome(task.platform().name(), skip.reason().outcome);
            return receipt(task, skip.reason().status, null, skip.detail());
        }
        if (checked instanceof Delivery.NoProvider noProvider) {
            return deadLetter(record, DeadLetterReason.NO_PROVIDER, noProvider.detail());
        }
        Delivery.Send send = (Delivery.Send) checked;
        if (governor != null && config.lane() == Lane.HIGH) {
            // The wait inside Pushline (task written → about to be sent), not the provider's round trip: a provider
            // that is simply far away (APNs is ~100 ms from most data centres) must not throttle the bulk lane.
            governor.highLaneWaited(send.waited());
        }
        return providers.get(send.request().platform()).send(send.request())
                .thenCompose(outcome -> settle(record, send, delivery.settle(send, outcome)));
    }

    /**
     * How the record arrived. A lane record is always a first attempt, even one replayed from the dead letters with
     * old retry headers; a retry record's attempt is its header's.
     */
    private Delivery.Arrival arrival(ConsumerRecord<String, byte[]> record) {
        int attempt = retryTopics.contains(record.topic()) ? RetryTopics.attempt(record.headers()) : 1;
        Header replayed = record.headers().lastHeader(DeadLetters.REPLAYED_FROM);
        String replayedFrom = replayed == null ? null
                : replayed.value() == null ? "" : new String(replayed.value(), StandardCharsets.UTF_8);
        Instant recordTime = record.timestamp() < 0 ? null : Instant.ofEpochMilli(record.timestamp());
        return new Delivery.Arrival(attempt, replayedFrom, recordTime);
    }

    private CompletableFuture<Void> settle(ConsumerRecord<String, byte[]> record, Delivery.Send send, Delivery.FollowUp next) {
        PushTask task = send.task();
        String platform = task.platform().name();
        if (next instanceof Delivery.Delivered delivered) {
            metrics.outcome(platform, "delivered");
            return receipt(task, ReceiptStatus.DELIVERED, delivered.providerId(), null);
        }
        if (next instanceof Delivery.Rejected rejected) {
            metrics.outcome(platform, "rejected");
            return receipt(task, ReceiptStatus.REJECTED, null, rejected.reason());
        }
        if (next instanceof Delivery.Unregister unregister) {
            metrics.outcome(platform, "rejected");
            CompletableFuture<Void> written = receipt(task, ReceiptStatus.REJECTED, null, unregister.reason());
            metrics.tokenInvalidated(platform);
            return written.thenCompose(ignored -> send(codec.toRecord(Topics.EVENTS, unregister.event())));
        }
        if (next instanceof Delivery.Retry retry) {
            return scheduleRetry(record, task, retry);
        }
        if (next instanceof Delivery.Expired expired) {
            metrics.outcome(platform, "expired");
            return receipt(task, ReceiptStatus.EXPIRED, null, expired.detail());
        }
        Delivery.GiveUp giveUp = (Delivery.GiveUp) next;
        metrics.outcome(platform, "failed");
        metrics.retriesExhausted(platform);
        // Dead letter first: if the receipt write fails or we crash in between, the task is redelivered and dead-lettered
        // again (a duplicate), whereas a receipt written first would make the redelivery a silent no-op.
        return deadLetter(record, DeadLetterReason.RETRIES_EXHAUSTED, giveUp.detail())
                .thenCompose(ignored -> receipt(task, ReceiptStatus.FAILED, null, giveUp.detail()));
    }

    /**
     * Writes the task unchanged, with the next attempt number and its not-before instant, to the retry topic the
     * decision chose; the returned future (and so the original record) completes when the broker acknowledged it.
     */
    private CompletableFuture<Void> scheduleRetry(ConsumerRecord<String, byte[]> record, PushTask task, Delivery.Retry retry) {
        String origin = retryTopics.contains(record.topic()) ? RetryTopics.origin(record.headers()) : null;
        if (origin == null) {
            origin = record.topic() + "-" + record.partition() + "@" + record.offset();
        }
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        RetryTopics.addTo(headers, retry.nextAttempt(), retry.notBefore(), retry.cause(), origin);
        log.debug("{} lane: attempt {} of push {} to {} not before {} (in {}, via {}): {}", config.lane(), retry.nextAttempt(),
                task.pushId(), Tokens.mask(task.token()), retry.notBefore(), retry.backoff(), retry.topic(), retry.cause());
        return send(new ProducerRecord<>(retry.topic(), null, record.key(), record.value(), headers)).thenRun(() -> {
            metrics.retry(task.platform().name());
            metrics.retryScheduled(retry.delayLabel());
        });
    }

    private CompletableFuture<Void> receipt(PushTask task, ReceiptStatus status, String providerId, String reason) {
        Instant now = clock.instant();
        PushReceipt receipt = PushReceipt.of(task, status, providerId, reason, now);
        Envelope<PushReceipt> envelope = Envelope.of(
                UUID.nameUUIDFromBytes(("receipt|" + task.pushId()).getBytes(StandardCharsets.UTF_8)).toString(),
                config.source(), now, receipt);
        // Co-partitioned with the task: keyed userId|pushId, on the partition the task's own key (userId) has.
        ProducerRecord<String, byte[]> encoded = codec.toRecord(Topics.PUSH_RECEIPTS, envelope);
        encoded.headers().add(ReceiptStore.STATUS_HEADER, status.name().getBytes(StandardCharsets.US_ASCII));
        ReceiptStore store = guards.receipts();
        int partition = ReceiptStore.partitionOf(task.userId(), store.partitions());
        return send(new ProducerRecord<>(Topics.PUSH_RECEIPTS, partition, Keys.compound(task.userId(), task.pushId()),
                encoded.value(), encoded.headers())).thenRun(() -> store.add(partition, task.pushId(), status == ReceiptStatus.FAILED));
    }

    /** Writes the record, with its original bytes and the reason, to the dead letters; counts and logs it. */
    CompletableFuture<Void> deadLetter(ConsumerRecord<String, byte[]> record, DeadLetterReason reason, String detail) {
        return write(deadLetterRecord(record, reason, detail));
    }

    /**
     * The dead letter of {@code record}, counted and logged once here: a caller that must retry its write (a broker
     * failing over) retries {@link #write} only, so that one dead letter is one count and one log line.
     */
    ProducerRecord<String, byte[]> deadLetterRecord(ConsumerRecord<String, byte[]> record, DeadLetterReason reason, String detail) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        DeadLetters.addTo(headers, reason, detail, record.topic(), record.partition(), record.offset(), clock.instant());
        metrics.deadLettered(reason.name());
        log.atWarn().addKeyValue(DeadLetters.LOG_EVENT_ID, DeadLetters.eventId(record.headers())).log("{} lane: dead-lettered {}-{}@{}: {} ({})",
                config.lane(), record.topic(), record.partition(), record.offset(), reason, detail);
        return new ProducerRecord<>(Topics.DEAD_LETTERS, null, record.key(), record.value(), headers);
    }

    /** Writes {@code record}; the future completes on acknowledgement (or fails with the producer's error). */
    CompletableFuture<Void> write(ProducerRecord<String, byte[]> record) {
        return send(record);
    }

    /**
     * Writes {@code record}, again after a transient failure (a broker down or failing over, a request timed out), with
     * backoff, while the worker runs and for at most the transient bound: such a failure is never the record's fault,
     * and retrying the write alone never sends the push twice. Fails with what the producer answered otherwise, or with
     * a {@link java.util.concurrent.TimeoutException} once the bound has passed.
     */
    private CompletableFuture<Void> send(ProducerRecord<String, byte[]> record) {
        return Mono.defer(() -> Mono.fromCompletionStage(sendOnce(record)))
                .retryWhen(Retry.backoff(Long.MAX_VALUE, LoopFaults.FIRST_BACKOFF).maxBackoff(LoopFaults.MAX_BACKOFF).jitter(0)
                        .filter(error -> LoopFaults.isTransient(error) && running.getAsBoolean())
                        .doBeforeRetry(retry -> {
                            if (retry.totalRetries() == 0) {
                                log.warn("{} lane: could not write to {} ({}); retrying", config.lane(), record.topic(),
                                        LoopFaults.describe(retry.failure()));
                            }
                        }))
                .timeout(transientBound)
                .toFuture();
    }

    private CompletableFuture<Void> sendOnce(ProducerRecord<String, byte[]> record) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        // Complete on our own executor, never on the producer's I/O thread: what runs next may send again, and a
        // send that waits for metadata on the I/O thread waits for itself (until max.block.ms).
        producer.send(record, (metadata, error) -> callbacks.execute(() -> {
            if (error == null) {
                acked.complete(null);
            } else {
                acked.completeExceptionally(error);
            }
        }));
        return acked;
    }

    /** Stops the callback executor; acknowledgements arriving later are dropped (their records stay uncommitted). */
    @Override
    public void close() {
        callbacks.shutdown();
    }
}

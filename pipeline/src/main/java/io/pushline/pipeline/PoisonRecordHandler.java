package io.pushline.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The Streams applications' {@code processing.exception.handler}: a record that made one of Pushline's processors
 * throw is a poison record. It goes to {@link Topics#DEAD_LETTERS} with reason
 * {@link DeadLetterReason#PROCESSING_FAILED}, its original key, value and headers, its origin (topic, partition,
 * offset) and, in the detail, the processor and the exception; processing goes on with the next record. The dead letter
 * is written by Streams itself (KIP-1034, {@link Response#resume(List)}) through the task's producer, so under
 * exactly-once it commits in the same transaction as the skipped record's offset.
 *
 * <p>Handled on the first failure: Pushline's processors are deterministic over their input and their store, so a
 * record that made one throw would make it throw again on every retry. What is not the record's fault is left to
 * Streams ({@code FAIL}: the stream thread dies and is replaced, within {@link ThreadReplacements}' bound): any
 * {@link KafkaException} in the cause chain (timeouts, retriable and broker errors, a migrated task, a fenced producer, a
 * state store that cannot be read), and a failing punctuator (no record to set aside; skipping it would silently stop
 * what it does).
 *
 * <p>Made by Kafka Streams from its class name (hence public); {@link Pipeline} sets it, with the counter name
 * ({@link #METRIC_CONFIG}) and registry ({@link #REGISTRY_CONFIG}) to count dead letters in. Thread-safe.
 */
public final class PoisonRecordHandler implements ProcessingExceptionHandler {
    /** Config key: the name of the dead-letter counter (tagged {@code reason}) to count in. */
    public static final String METRIC_CONFIG = "pushline.dead.letters.metric";
    /** Config key: the {@link MeterRegistry} the counter is in (an object, not a string). */
    public static final String REGISTRY_CONFIG = "pushline.meter.registry";
    /** The exception's message is cut to this many characters in the detail. */
    static final int MAX_MESSAGE_CHARS = io.pushline.contracts.DeadLetters.MAX_FAILURE_MESSAGE_CHARS;
    private static final Logger log = LoggerFactory.getLogger(PoisonRecordHandler.class);

    private Counter deadLetters;

    public PoisonRecordHandler() {
    }

    @Override
    public void configure(Map<String, ?> configs) {
        Object registry = configs.get(REGISTRY_CONFIG);
        Object metric = configs.get(METRIC_CONFIG);
        if (registry instanceof MeterRegistry meters && metric != null) {
            deadLetters = Counter.builder(metric.toString()).tag("reason", DeadLetterReason.PROCESSING_FAILED.name()).register(meters);
        }
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (record == null || context.topic() == null) {
            log.error("punctuator of {} (task {}) failed; the stream thread fails and is replaced",
                    context.processorNodeId(), context.taskId(), exception);
            return Response.fail();
        }
        String origin = context.topic() + "-" + context.partition() + "@" + context.offset();
        if (notTheRecords(exception)) {
            log.warn("processor {} failed on {} with a Kafka error ({}); not a poison record: the stream thread fails and "
                    + "is replaced", context.processorNodeId(), origin, exception.toString());
            return Response.fail();
        }
        String detail = detail(context.processorNodeId(), exception);
        RecordHeaders headers = context.headers() == null ? new RecordHeaders() : new RecordHeaders(context.headers().toArray());
        DeadLetters.addTo(headers, DeadLetterReason.PROCESSING_FAILED, detail, context.topic(), context.partition(),
                context.offset(), Instant.now());
        byte[] key = context.sourceRawKey() != null ? context.sourceRawKey() : record.key() instanceof byte[] k ? k : null;
        byte[] value = context.sourceRawValue() != null ? context.sourceRawValue() : record.value() instanceof byte[] v ? v : null;
        if (deadLetters != null) {
            deadLetters.increment();
        }
        log.atError().addKeyValue(DeadLetters.LOG_EVENT_ID, DeadLetters.eventId(context.headers())).setCause(exception)
                .log("dead-lettered {}: {} ({})", origin, DeadLetterReason.PROCESSING_FAILED, detail);
        return Response.resume(List.of(new ProducerRecord<>(Topics.DEAD_LETTERS, null, key, value, headers)));
    }

    /** Whether {@code error} is Kafka's (the broker's, the client's, Streams'), not a fault of the record: any in its causes. */
    static boolean notTheRecords(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof KafkaException) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code processor NODE: ExceptionType: message}, the message cut to {@link #MAX_MESSAGE_CHARS} with control
     * characters replaced and token-like runs masked; then the causes' types. Never the record's payload.
     */
    static String detail(String node, Throwable error) {
        StringBuilder out = new StringBuilder("processor ").append(node).append(": ")
                .append(io.pushline.contracts.DeadLetters.failureDetail(error));
        int depth = 0;
        for (Throwable t = error.getCause(); t != null && depth < 5; t = t.getCause() == t ? null : t.getCause(), depth++) {
            out.append("; caused by ").append(t.getClass().getName());
        }
        return out.toString();
    }
}

package io.pushline.ingest;

import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * What the ingest does with a request, without the transport: authenticate the publisher by its bearer token, read the
 * body as one CloudEvent (structured, or binary with its {@code ce-*} headers) or a batch ({@link StructuredEvents}),
 * check that the publisher may publish each event's type from its source, take its rate limit, deduplicate ({@link DedupWindow}), produce the new events, and turn the
 * broker's acknowledgement into the answer ({@link IngestReply}), counting {@link IngestMetrics#INGEST_EVENTS} by
 * publisher and result.
 *
 * <p>In two steps, because the transport must refuse a request by its headers before reading its body:
 * {@link #screen} (the {@code Authorization}, {@code Content-Type} and {@code ce-*} headers and the declared length)
 * then {@link #publish(Admitted, byte[])} (the body). {@link #publish(String, String, Map, byte[])} does both.
 *
 * <p>What it guarantees: a 202 only once the producer acknowledged every event of the request that was not a duplicate;
 * nothing produced for a request refused whole (invalid, forbidden, rate-limited, too many events); the answer's stage
 * always completes, within the delivery timeout and a second, with a reply and never exceptionally (an unexpected
 * failure is a 500 that claims nothing). The publish path holds no thread while awaiting the broker.
 *
 * <p>Thread-safe: any number of threads may call it at once. It does not own the producer; whoever made it closes it.
 */
final class PublishPath {
    /** The realm of the ingest's {@code WWW-Authenticate} challenge. */
    private static final String REALM = "Bearer realm=\"pushline-ingest\"";
    /** The one data content type of binary mode: Pushline's events carry JSON data. */
    private static final String JSON = CloudEventCodec.CONTENT_TYPE;
    // The transport's logger: log lines keep the category they had before the publish path was split out of it.
    private static final Logger log = LoggerFactory.getLogger(IngestServer.class);

    /** The media types a POST may carry, as the {@code Accept-Post} header of a 415 lists them. */
    static final String ACCEPT_POST = JSON + ", " + IngestServer.SINGLE + ", " + IngestServer.BATCH;
    private static final String MODES = "accepted: binary mode (Content-Type: application/json, the event's attributes as ce- headers: "
            + "ce-specversion: 1.0, ce-id, ce-source, ce-type, optionally ce-time), structured mode (" + IngestServer.SINGLE
            + ", one event) or batched mode (" + IngestServer.BATCH + ", a JSON array of events), in UTF-8";

    /** How a request carries its events (CloudEvents HTTP protocol binding, section 1.3). */
    enum Mode {
        /** One event: the attributes in {@code ce-*} headers, the body its data (application/json). */
        BINARY,
        /** One event as a JSON object ({@code application/cloudevents+json}). */
        STRUCTURED,
        /** A JSON array of events ({@code application/cloudevents-batch+json}). */
        BATCH
    }

    /** What {@link #screen} decided from a request's headers. */
    sealed interface Screened permits Admitted, Refused {
    }

    /**
     * The publisher may send its body: in this mode, up to {@code limit} bytes; in binary mode, with these attributes
     * (decoded from the {@code ce-*} headers; empty in the other modes).
     */
    record Admitted(Publishers.Publisher publisher, Mode mode, int limit, Map<String, String> attributes) implements Screened {
        Admitted {
            Objects.requireNonNull(publisher, "publisher");
            Objects.requireNonNull(mode, "mode");
            attributes = Map.copyOf(attributes);
        }

        boolean batch() {
            return mode == Mode.BATCH;
        }

        String name() {
            return publisher.name();
        }
    }

    /** The request is answered {@code reply} without its body being read. */
    record Refused(IngestReply reply) implements Screened {
        Refused {
            Objects.requireNonNull(reply, "reply");
        }
    }

    private final IngestConfig config;
    private final Publishers publishers;
    private final Producer<String, byte[]> producer;
    private final IngestMeters meters;
    private final StructuredEvents parser;
    private final DedupWindow dedup;

    /**
     * Registers the dedup-window gauge and each publisher's {@code accepted} counter (so they show at 0 before the first
     * event). {@code clock} gives an event without {@code time} its time of receipt; {@code nanos} is the dedup window's.
     */
    PublishPath(IngestConfig config, Publishers publishers, Producer<String, byte[]> producer, MeterRegistry registry, Clock clock,
                LongSupplier nanos) {
        this.config = Objects.requireNonNull(config, "config");
        this.publishers = Objects.requireNonNull(publishers, "publishers");
        this.producer = Objects.requireNonNull(producer, "producer");
        this.meters = new IngestMeters(registry);
        this.parser = new StructuredEvents(new CloudEventCodec(), Objects.requireNonNull(clock, "clock"));
        this.dedup = new DedupWindow(config.dedupWindow(), config.dedupMaxEntries(), Objects.requireNonNull(nanos, "nanos"));
        registry.gauge(IngestMetrics.INGEST_DEDUP_ENTRIES, dedup, DedupWindow::size);
        for (String name : publishers.names()) {
            meters.events(name, "accepted");
        }
    }

    /**
     * Judges a request by its headers: 401 without a publisher's bearer token; its mode by its {@code Content-Type}
     * (structured or batched for theirs, binary for {@code application/json} with a {@code ce-specversion} header) and
     * 415 for any other, all in UTF-8; in binary mode, 400 for {@code ce-*} headers that cannot be decoded
     * ({@link CeHeaders}); 413 if {@code declaredLength} (-1: not declared) exceeds the limit of the mode. A structured
     * or batched request's {@code ce-*} headers are ignored: its body holds the attributes.
     *
     * @param authorization the {@code Authorization} header, or null
     * @param contentType   the {@code Content-Type} header, or null
     * @param ceHeaders     the request's {@code ce-*} headers, name (lower-case) to every value given
     */
    Screened screen(String authorization, String contentType, Map<String, List<String>> ceHeaders, long declaredLength) {
        if (authorization == null || authorization.isBlank()) {
            return new Refused(IngestReply.error(IngestReply.UNKNOWN_PUBLISHER, 401, "unauthorized",
                    "give the publisher's token: Authorization: Bearer TOKEN").with("WWW-Authenticate", REALM));
        }
        Optional<Publishers.Publisher> who = Optional.empty();
        if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            who = publishers.authenticate(authorization.substring(7).trim());
        }
        if (who.isEmpty()) {
            return new Refused(IngestReply.error(IngestReply.UNKNOWN_PUBLISHER, 401, "unauthorized", "the bearer token is not a publisher's")
                    .with("WWW-Authenticate", REALM + ", error=\"invalid_token\""));
        }
        Publishers.Publisher publisher = who.get();
        String name = publisher.name();
        boolean binaryHeaders = ceHeaders.containsKey(CeHeaders.SPEC_VERSION);
        Mode mode = mode(contentType, binaryHeaders);
        if (mode == null) {
            return new Refused(IngestReply.error(name, 415, "unsupported_media_type", unsupported(contentType, binaryHeaders))
                    .with("Accept-Post", ACCEPT_POST));
        }
        Map<String, String> attributes = Map.of();
        if (mode == Mode.BINARY) {
            CeHeaders.Attributes read = CeHeaders.attributes(ceHeaders);
            if (read instanceof CeHeaders.Attributes.Invalid invalid) {
                count(name, "invalid", 1);
                return new Refused(IngestReply.problems(name, 400, "invalid", "the event's ce- headers cannot be read; it was not published",
                        invalid.problems()));
            }
            attributes = ((CeHeaders.Attributes.Ok) read).attributes();
        }
        int limit = mode == Mode.BATCH ? config.maxBatchBytes() : config.maxEventBytes();
        if (declaredLength > limit) {
            return new Refused(IngestReply.tooLarge(name, declaredLength + " bytes exceeds the limit of " + limit + " bytes", config));
        }
        return new Admitted(publisher, mode, limit, attributes);
    }

    /** Why a request's content type is refused, and what is accepted instead. */
    private static String unsupported(String contentType, boolean binaryHeaders) {
        String media = contentType == null ? null : mediaType(contentType);
        if (media == null) {
            return "no Content-Type; " + MODES;
        }
        if (!utf8(contentType)) {
            return "only UTF-8 is accepted (charset=utf-8, or no charset); " + MODES;
        }
        if (media.equals(JSON)) {
            return "application/json is binary mode, which needs the event's attributes as ce- headers, ce-specversion among them; " + MODES;
        }
        if (binaryHeaders && !media.startsWith("application/cloudevents")) {
            return "binary mode (ce- headers) carries JSON data only: its Content-Type must be application/json, not " + printable(media)
                    + "; " + MODES;
        }
        return "Content-Type " + printable(media) + " is not accepted; " + MODES;
    }

    /** {@link #screen} with the body's length, then {@link #publish(Admitted, byte[])} if admitted. */
    CompletionStage<IngestReply> publish(String authorization, String contentType, Map<String, List<String>> ceHeaders, byte[] body) {
        Screened screened = screen(authorization, contentType, ceHeaders, body.length);
        if (screened instanceof Refused refused) {
            return CompletableFuture.completedFuture(refused.reply());
        }
        return publish((Admitted) screened, body);
    }

    /**
     * Parses, checks and produces the body of an admitted request, on the calling thread up to handing the events to the
     * producer. The stage completes with the answer (from the producer's thread once it acknowledged, or at once for a
     * refusal), never exceptionally.
     */
    CompletionStage<IngestReply> publish(Admitted admitted, byte[] body) {
        try {
            return parsed(admitted, body);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(internalError(admitted.name(), e));
        }
    }

    /** The 500 of a request that failed unexpectedly (a bug): nothing was published, and the failure is logged by class only. */
    static IngestReply internalError(String publisher, Throwable failure) {
        log.warn("ingest request failed: {}", failure.getClass().getName());
        log.debug("ingest request failure", failure);
        return IngestReply.error(publisher, 500, "internal", "the request could not be handled; nothing was published");
    }

    private CompletionStage<IngestReply> parsed(Admitted admitted, byte[] body) {
        String name = admitted.name();
        boolean batch = admitted.batch();
        StructuredEvents.Result parsed = switch (admitted.mode()) {
            case BATCH -> parser.batch(body, config.maxBatchEvents());
            case STRUCTURED -> parser.single(body);
            case BINARY -> parser.binary(admitted.attributes(), body);
        };
        if (parsed instanceof StructuredEvents.Result.TooManyEvents tooMany) {
            return done(IngestReply.tooLarge(name, tooMany.count() + " events in one batch exceeds the limit of " + tooMany.max(), config));
        }
        if (parsed instanceof StructuredEvents.Result.Invalid invalid) {
            long entries = invalid.problems().stream().mapToInt(StructuredEvents.Problem::index).distinct().count();
            count(name, "invalid", (int) entries);
            return done(IngestReply.problems(name, 400, "invalid", batch
                    ? entries + " of the batch's events are invalid; none was published"
                    : "the event is invalid; it was not published", invalid.problems()));
        }
        List<StructuredEvents.Event> events = ((StructuredEvents.Result.Ok) parsed).parsed();
        List<StructuredEvents.Problem> refusals = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            Envelope<?> e = events.get(i).envelope();
            String refusal = admitted.publisher().refusal(e.type(), e.source().toString());
            if (refusal != null) {
                String attribute = refusal.contains("source") ? "source" : "type";
                refusals.add(new StructuredEvents.Problem(batch ? i : -1,
                        admitted.mode() == Mode.BINARY ? CeHeaders.PREFIX + attribute : attribute, refusal));
            }
        }
        if (!refusals.isEmpty()) {
            count(name, "forbidden", refusals.size());
            return done(IngestReply.problems(name, 403, "forbidden", batch
                    ? refusals.size() + " of the batch's events may not be published by '" + name + "'; none was published"
                    : "'" + name + "' may not publish this event", refusals));
        }
        Publishers.TokenBucket limit = admitted.publisher().limit();
        long wait = limit == null ? 0 : limit.tryAcquire(events.size());
        if (wait > 0) {
            count(name, "rate_limited", events.size());
            return done(IngestReply.error(name, 429, "rate_limited", "publisher '" + name + "' is over its rate limit; retry after "
                    + wait + " s").with("Retry-After", Long.toString(wait)));
        }
        return produce(name, batch, events);
    }

    /** Produces the events not seen within the dedup window; answers once the broker acknowledged (or failed) them all. */
    private CompletionStage<IngestReply> produce(String name, boolean batch, List<StructuredEvents.Event> events) {
        List<DedupWindow.Claim> claims = new ArrayList<>(events.size());
        for (StructuredEvents.Event event : events) {
            claims.add(claim(event));
        }
        return CompletableFuture.allOf(claims.stream().map(DedupWindow.Claim::outcome).toArray(CompletableFuture[]::new))
                .orTimeout(config.deliveryTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS)
                .handle((ok, failure) -> acknowledged(name, batch, events, claims, failure))
                .exceptionally(e -> internalError(name, e));
    }

    /** Claims {@code event} in the dedup window and, if this is its first claim, produces it. */
    private DedupWindow.Claim claim(StructuredEvents.Event event) {
        Envelope<?> envelope = event.envelope();
        DedupWindow.Claim claim = dedup.claim(envelope.source().toString(), envelope.id());
        if (claim.first()) {
            send(event, claim.outcome());
        }
        return claim;
    }

    private IngestReply acknowledged(String name, boolean batch, List<StructuredEvents.Event> events, List<DedupWindow.Claim> claims,
                                     Throwable failure) {
        if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            boolean saturated = claims.stream().anyMatch(c -> causeOf(c.outcome()) instanceof BufferExhaustedException);
            if (saturated) {
                count(name, "saturated", events.size());
                return IngestReply.saturated(name, "the producer's buffer is full; retry later");
            }
            count(name, "failed", events.size());
            log.warn("ingest: the broker did not acknowledge {} event(s) of publisher {} ({}); answered 503", events.size(), name,
                    cause.getClass().getSimpleName());
            return IngestReply.error(name, 503, "unavailable", "the broker did not acknowledge the write; nothing is claimed accepted: "
                    + "retry with the same ids").with("Retry-After", Long.toString(IngestReply.BROKER_RETRY_AFTER_SECONDS));
        }
        boolean[] first = new boolean[events.size()];
        List<Envelope<?>> envelopes = new ArrayList<>(events.size());
        int accepted = 0;
        for (int i = 0; i < events.size(); i++) {
            first[i] = claims.get(i).first();
            accepted += first[i] ? 1 : 0;
            envelopes.add(events.get(i).envelope());
        }
        count(name, "accepted", accepted);
        count(name, "duplicate", events.size() - accepted);
        return IngestReply.accepted(name, batch, envelopes, first);
    }

    /**
     * Produces {@code event}'s record as it was validated (its headers and data bytes, keyed as the codec keys it),
     * completing {@code outcome} when the broker acknowledged it or the send failed.
     */
    private void send(StructuredEvents.Event event, CompletableFuture<Void> outcome) {
        try {
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(config.topic(), null, event.envelope().key(), event.value(),
                    event.headers());
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    outcome.complete(null);
                } else {
                    outcome.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            outcome.completeExceptionally(e);
        }
    }

    /** Counts {@code n} events of {@code publisher} with {@code result} (nothing for 0), under {@link IngestMetrics#INGEST_EVENTS}. */
    void count(String publisher, String result, int n) {
        meters.events(publisher, result, n);
    }

    /** The ingest's meters, shared with the transport. */
    IngestMeters meters() {
        return meters;
    }

    /**
     * The mode of a request with this {@code Content-Type} (null: none), null if none is accepted: structured or batched
     * by their media types, binary for application/json when {@code ceSpecVersion} (a {@code ce-specversion} header was
     * given); any charset but UTF-8 is refused.
     */
    static Mode mode(String contentType, boolean ceSpecVersion) {
        if (contentType == null || !utf8(contentType)) {
            return null;
        }
        return switch (mediaType(contentType)) {
            case IngestServer.SINGLE -> Mode.STRUCTURED;
            case IngestServer.BATCH -> Mode.BATCH;
            case JSON -> ceSpecVersion ? Mode.BINARY : null;
            default -> null;
        };
    }

    /** The media type of a {@code Content-Type}, lower-case, without its parameters. */
    private static String mediaType(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon >= 0 ? contentType.substring(0, semicolon) : contentType).trim().toLowerCase(Locale.ROOT);
    }

    /** False if a {@code charset} parameter names anything but UTF-8. */
    private static boolean utf8(String contentType) {
        String[] parts = contentType.split(";");
        for (int i = 1; i < parts.length; i++) {
            String param = parts[i].trim().toLowerCase(Locale.ROOT);
            if (param.startsWith("charset=") && !param.substring(8).replace("\"", "").trim().equals("utf-8")) {
                return false;
            }
        }
        return true;
    }

    /** A media type for a message: cut to 64 characters, anything outside printable ASCII as '?'. */
    private static String printable(String media) {
        String cut = media.length() > 64 ? media.substring(0, 64) + "..." : media;
        StringBuilder b = new StringBuilder(cut.length());
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            b.append(c < 0x20 || c > 0x7e ? '?' : c);
        }
        return b.toString();
    }

    private static CompletionStage<IngestReply> done(IngestReply reply) {
        return CompletableFuture.completedFuture(reply);
    }

    /** Why {@code outcome} failed; null if it has not (yet). */
    private static Throwable causeOf(CompletableFuture<Void> outcome) {
        if (!outcome.isCompletedExceptionally()) {
            return null;
        }
        try {
            outcome.getNow(null);
            return null;
        } catch (CompletionException | CancellationException e) {
            return e.getCause() != null ? e.getCause() : e;
        }
    }
}

package io.pushline.ingest;

/** Metric names of the HTTP ingest, in one place; the README lists every module's. */
public final class IngestMetrics {
    /** HTTP ingest requests, tagged {@code publisher} ({@code unknown} before authentication) and {@code status} (the HTTP code). */
    public static final String INGEST_REQUESTS = "pushline.ingest.requests";
    /**
     * HTTP ingest events, tagged {@code publisher} and {@code result}: {@code accepted}, {@code duplicate},
     * {@code invalid}, {@code forbidden}, {@code rate_limited}, {@code saturated}, {@code failed}.
     */
    public static final String INGEST_EVENTS = "pushline.ingest.events";
    /** Time from reading a request to answering it, acknowledgements included, tagged {@code publisher} and {@code status}. */
    public static final String INGEST_DURATION = "pushline.ingest.duration";
    /** Request bytes held by the ingest (being read, produced or awaiting acknowledgement); bounded by its limit. */
    public static final String INGEST_IN_FLIGHT_BYTES = "pushline.ingest.in.flight.bytes";
    /** Ids the ingest's deduplication window remembers. */
    public static final String INGEST_DEDUP_ENTRIES = "pushline.ingest.dedup.entries";

    private IngestMetrics() {
    }
}

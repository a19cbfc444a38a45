package io.pushline.admin;

import io.pushline.contracts.DeadLetterReason;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a replay did ({@code pushline dlq replay}, {@code POST /v1/admin/dead-letters/replay}), or in a dry run would do.
 * A write that failed is part of the report, not an exception: the routes count only what was written, and replaying
 * those again is safe.
 *
 * @param reason               the reason replayed
 * @param since                the lower bound asked for, or null
 * @param dryRun               whether nothing was written
 * @param limit                the limit asked for, or null
 * @param matched              dead letters of the reason seen (replayed, skipped, or left past the limit)
 * @param routes               per source topic and the topic replayed to, by source then target
 * @param limitReached         whether the limit stopped the replay
 * @param skippedWithoutSource dead letters skipped because they name no source topic
 * @param skippedNotReplayable per source topic, dead letters skipped because replay does not write there
 * @param notes                what an operator should know about what was replayed (none if nothing was)
 * @param writeFailure         the first failed write's message, if one failed
 */
public record ReplayReport(DeadLetterReason reason, Instant since, boolean dryRun, Long limit, long matched, List<Route> routes,
                           boolean limitReached, long skippedWithoutSource, SortedMap<String, Long> skippedNotReplayable,
                           List<String> notes, Optional<String> writeFailure) {

    /** Dead letters replayed (or, in a dry run, that would be) from {@code sourceTopic} to {@code replayedTo}. */
    public record Route(String sourceTopic, String replayedTo, long count) {
    }

    public ReplayReport {
        Objects.requireNonNull(reason, "reason");
        routes = List.copyOf(routes);
        skippedNotReplayable = Collections.unmodifiableSortedMap(new TreeMap<>(skippedNotReplayable));
        notes = List.copyOf(notes);
        Objects.requireNonNull(writeFailure, "writeFailure");
    }

    /** Dead letters replayed, or in a dry run that would be. */
    public long replayed() {
        return routes.stream().mapToLong(Route::count).sum();
    }

    /** Dead letters skipped: without a source topic, or from one replay does not write. */
    public long skipped() {
        return skippedWithoutSource + skippedNotReplayable.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Why they were skipped, one phrase per cause. */
    public List<String> skippedWhy() {
        List<String> why = new ArrayList<>();
        if (skippedWithoutSource > 0) {
            why.add(skippedWithoutSource + " without a source topic");
        }
        skippedNotReplayable.forEach((topic, n) -> why.add(n + " from " + topic + ", which replay does not write"));
        return why;
    }

    /** The line reporting a failed write (after which the report's counts are what was written), if one failed. */
    public Optional<String> failureLine() {
        return writeFailure.map(message -> "dlq replay: a write failed (" + message + "); the ones counted above were written, "
                + "and replaying them again is safe");
    }

    /** The JSON document of {@code --format json} and of the admin API. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("reason", reason.name());
        json.put("since", since == null ? null : since.toString());
        json.put("dryRun", dryRun);
        json.put(dryRun ? "wouldReplay" : "replayed", replayed());
        json.put("routes", routes.stream().map(r -> {
            Map<String, Object> route = new LinkedHashMap<>();
            route.put("sourceTopic", r.sourceTopic());
            route.put("replayedTo", r.replayedTo());
            route.put("count", r.count());
            return route;
        }).toList());
        json.put("limitReached", limitReached);
        json.put("skipped", skipped());
        json.put("skippedWhy", skippedWhy());
        json.put("notes", notes);
        return json;
    }
}

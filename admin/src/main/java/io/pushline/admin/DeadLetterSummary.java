package io.pushline.admin;

import io.pushline.contracts.DeadLetters;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What {@code pushline dlq list} shows and {@code GET /v1/admin/dead-letters} answers: the dead letters read, grouped by
 * reason, the most frequent first. Never a payload: a reason's detail is the dead-lettering role's own text.
 *
 * @param deadLetters how many dead letters matched (dead-lettered since {@code since}, of the reasons asked for)
 * @param since       the lower bound asked for, or null
 * @param reasons     per reason, by count (descending), then by name
 */
public record DeadLetterSummary(long deadLetters, Instant since, List<Reason> reasons) {
    /** Dead letters without a reason (or a source topic) are listed under this name. */
    public static final String NONE = "(none)";

    public DeadLetterSummary {
        reasons = List.copyOf(reasons);
    }

    /**
     * The dead letters of one reason.
     *
     * @param reason       the reason's name, or {@link #NONE}
     * @param count        how many
     * @param sourceTopics how many came from each topic (by name; {@link #NONE} for those without a source topic)
     * @param first        the earliest dead-lettering time
     * @param last         the latest dead-lettering time
     * @param latestDetail the detail of the latest one (as written, possibly multi-line; null if it had none)
     */
    public record Reason(String reason, long count, SortedMap<String, Long> sourceTopics, Instant first, Instant last,
                         String latestDetail) {
        public Reason {
            sourceTopics = Collections.unmodifiableSortedMap(new TreeMap<>(sourceTopics));
        }

        /** The JSON object of this reason ({@code exampleDetail} on one line, bounded). */
        public Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("reason", reason);
            json.put("count", count);
            json.put("sourceTopics", sourceTopics);
            json.put("first", first.toString());
            json.put("last", last.toString());
            json.put("exampleDetail", latestDetail == null ? "" : AdminText.oneLine(latestDetail, DeadLetters.MAX_DETAIL_CHARS));
            return json;
        }
    }

    /** The JSON document of {@code --format json} and of the admin API. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("deadLetters", deadLetters);
        json.put("since", since == null ? null : since.toString());
        json.put("reasons", reasons.stream().map(Reason::toJson).toList());
        return json;
    }
}

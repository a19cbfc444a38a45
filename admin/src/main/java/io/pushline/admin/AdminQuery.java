package io.pushline.admin;

import io.pushline.contracts.DeadLetterReason;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The admin API's query parameters, checked as the command line checks the options of the same name, with the same
 * messages: a query value is the value of the option {@code --NAME} of the operation's command, and is refused as
 * {@code pushline dlq ...} or {@code pushline coordinators ...} would refuse it (the command line's messages come from
 * its parser, picocli; those are spelled out here). Values are never parsed as options: where the command line would
 * take one for an option ({@code since=--kafka-config=...}), it is refused as the command line refuses it.
 *
 * <p>Parameters are checked in the order given, as the command line reads its arguments; then what every operation
 * requires; then the values' meaning. Stateless; thread-safe.
 */
final class AdminQuery {
    static final Set<String> LIST_PARAMS = Set.of("since", "reason");
    static final Set<String> REPLAY_PARAMS = Set.of("since", "reason", "limit", "dryRun");
    static final Set<String> ACT_PARAMS = Set.of("note", "wait");
    static final int MAX_QUERY_CHARS = 2048;
    /** The dead-letter operations' default {@code --timeout}. */
    static final String DLQ_TIMEOUT = "2m";
    private static final String DEFAULT_WAIT = "30s";
    private static final Set<String> COMMON_OPTIONS = Set.of("-h", "--help", "-V", "--version", "--bootstrap-servers", "--kafka-config");
    private static final Set<String> LIST_OPTIONS = union(COMMON_OPTIONS, "--timeout", "--since", "--reason", "--format");
    private static final Set<String> REPLAY_OPTIONS = union(LIST_OPTIONS, "--dry-run", "--limit");
    private static final Set<String> ACT_OPTIONS = union(COMMON_OPTIONS, "--note", "--wait");
    private static final String REASONS = Arrays.toString(DeadLetterReason.values());

    private AdminQuery() {
    }

    /**
     * The query's parameters, decoded, in the order given.
     *
     * @throws IllegalArgumentException for a query that is too long, badly encoded, or names a parameter twice
     */
    static Map<String, String> parse(String raw) {
        Map<String, String> params = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        if (raw.length() > MAX_QUERY_CHARS) {
            throw new IllegalArgumentException("query longer than " + MAX_QUERY_CHARS + " characters");
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name;
            String value;
            try {
                name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the query is not URL-encoded properly");
            }
            if (params.put(name, value) != null) {
                throw new IllegalArgumentException("parameter '" + AdminText.printable(name) + "' given twice");
            }
        }
        return params;
    }

    /** {@code GET dead-letters?since=&reason=}, as {@code pushline dlq list --since --reason}. */
    static AdminRequest.ListDeadLetters listDeadLetters(Map<String, String> query, Clock clock) {
        Set<DeadLetterReason> reasons = null;
        for (Map.Entry<String, String> p : query.entrySet()) {
            notAnOption("--" + p.getKey(), p.getValue(), LIST_OPTIONS);
            if (p.getKey().equals("reason")) {
                reasons = EnumSet.of(reason(p.getValue(), "--reason' (REASON)"));
            }
        }
        Instant since = since(query, clock);
        return new AdminRequest.ListDeadLetters(since, reasons, AdminArguments.timeout(DLQ_TIMEOUT));
    }

    /** {@code POST dead-letters/replay?reason=&since=&limit=&dryRun=}, as {@code pushline dlq replay}. */
    static AdminRequest.Replay replay(Map<String, String> query, Clock clock) {
        DeadLetterReason reason = null;
        Long limit = null;
        boolean dryRun = false;
        for (Map.Entry<String, String> p : query.entrySet()) {
            String value = p.getValue();
            if (p.getKey().equals("dryRun")) {
                Boolean flag = flag(value);
                if (flag != null) {
                    dryRun = flag;
                    continue;
                }
                notAnOption("--dry-run", value, REPLAY_OPTIONS);
                throw new IllegalArgumentException("Invalid value for option '--dry-run': '" + value + "' is not a boolean");
            }
            notAnOption("--" + p.getKey(), value, REPLAY_OPTIONS);
            if (p.getKey().equals("reason")) {
                reason = reason(value, "--reason'");
            } else if (p.getKey().equals("limit")) {
                try {
                    limit = Long.valueOf(value);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("Invalid value for option '--limit': '" + value + "' is not a long");
                }
            }
        }
        if (reason == null) {
            throw new IllegalArgumentException("Missing required option: '--reason=REASON'");
        }
        AdminArguments.limit(limit);
        Instant since = since(query, clock);
        return new AdminRequest.Replay(new ReplayRequest(reason, since, dryRun, limit, AdminArguments.timeout(DLQ_TIMEOUT)));
    }

    /** {@code POST coordinators/ID/ACTION?note=&wait=}, as {@code pushline coordinators ACTION ID --note --wait}. */
    static AdminRequest.Act act(CoordinatorAction action, String id, Map<String, String> query) {
        for (Map.Entry<String, String> p : query.entrySet()) {
            notAnOption("--" + p.getKey(), p.getValue(), ACT_OPTIONS);
        }
        Duration wait = AdminArguments.waitFor(query.getOrDefault("wait", DEFAULT_WAIT));
        return new AdminRequest.Act(ParkedCoordinators.command(action, id, query.getOrDefault("note", "")), wait);
    }

    /**
     * The command line a request stands for, for the log: the operation, {@code --NAME=VALUE} per parameter in the
     * order given, and the coordinator's id (null: none) after {@code --}; each word printable and bounded.
     */
    static String shown(String operation, Map<String, String> query, String id) {
        List<String> words = new ArrayList<>(List.of(operation.split(" ")));
        if (!operation.startsWith("coordinators ") || operation.equals("coordinators list")) {
            words.add("--format=json");
        }
        query.forEach((name, value) -> {
            if (name.equals("dryRun")) {
                Boolean flag = flag(value);
                if (flag == null) {
                    words.add("--dry-run=" + value);
                } else if (flag) {
                    words.add("--dry-run");
                }
            } else {
                words.add("--" + name + "=" + value);
            }
        });
        if (id != null) {
            words.add("--");
            words.add(id);
        }
        return String.join(" ", words.stream().map(AdminText::printable).toList());
    }

    /** {@code dryRun}'s value: empty or {@code true} sets it, {@code false} does not; anything else is null. */
    private static Boolean flag(String value) {
        if (value.isEmpty() || value.equalsIgnoreCase("true")) {
            return true;
        }
        return value.equalsIgnoreCase("false") ? false : null;
    }

    private static Instant since(Map<String, String> query, Clock clock) {
        return AdminArguments.since(query.get("since"), clock);
    }

    /** A reason by its exact name; {@code option} as the message names it. */
    private static DeadLetterReason reason(String value, String option) {
        try {
            return DeadLetterReason.valueOf(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid value for option '" + option + ": expected one of " + REASONS
                    + " (case-sensitive) but was '" + value + "'");
        }
    }

    /**
     * Refuses a value the command line would take for one of the command's {@code options}: {@code --}, an option's
     * name, an option's name with {@code =}, or a short option ({@code -h}, {@code -V}) with anything after it.
     */
    private static void notAnOption(String option, String value, Set<String> options) {
        int eq = value.indexOf('=');
        boolean looksLikeOne = value.equals("--") || options.contains(value)
                || eq > 0 && options.contains(value.substring(0, eq))
                || value.length() > 2 && value.startsWith("-") && options.contains("-" + value.charAt(1));
        if (looksLikeOne) {
            throw new IllegalArgumentException("Expected parameter for option '" + option + "' but found '" + value + "'");
        }
    }

    private static Set<String> union(Set<String> base, String... more) {
        Set<String> all = new HashSet<>(base);
        all.addAll(List.of(more));
        return Set.copyOf(all);
    }
}

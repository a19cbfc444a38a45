package io.pushline.admin;

import io.pushline.contracts.DeadLetterReason;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What to replay ({@code pushline dlq replay}, {@code POST /v1/admin/dead-letters/replay}).
 *
 * @param reason  the reason whose dead letters to replay
 * @param since   only those dead-lettered at or after this time; null: all
 * @param dryRun  count what would be replayed, write nothing
 * @param limit   replay at most this many (the oldest first in each partition); null: no limit
 * @param timeout the bound of the whole replay, reading and writing included
 */
public record ReplayRequest(DeadLetterReason reason, Instant since, boolean dryRun, Long limit, Duration timeout) {
    /**
     * @throws IllegalArgumentException naming the option, for a limit below 1 or a timeout that is not positive
     */
    public ReplayRequest {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(timeout, "timeout");
        AdminArguments.limit(limit);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("--timeout: '" + timeout + "' must be a positive duration");
        }
    }
}

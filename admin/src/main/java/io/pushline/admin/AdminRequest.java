package io.pushline.admin;

import io.pushline.contracts.DeadLetterReason;
import io.pushline.coordinators.Admin;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/** An admin API request, validated ({@link AdminQuery}): the operation and its values. */
sealed interface AdminRequest {
    /** The operation as the command line names it ({@code dlq replay}): the metric's tag, the start of every message. */
    String operation();

    /** {@code GET coordinators}: the parked coordinators. */
    record ListParked() implements AdminRequest {
        @Override
        public String operation() {
            return "coordinators list";
        }
    }

    /** {@code POST coordinators/ID/retry|discard}. */
    record Act(Admin.Command command, Duration waitFor) implements AdminRequest {
        @Override
        public String operation() {
            return "coordinators " + command.action();
        }
    }

    /** {@code GET dead-letters}; {@code reasons} null means all. */
    record ListDeadLetters(Instant since, Set<DeadLetterReason> reasons, Duration timeout) implements AdminRequest {
        @Override
        public String operation() {
            return "dlq list";
        }
    }

    /** {@code POST dead-letters/replay}. */
    record Replay(ReplayRequest request) implements AdminRequest {
        @Override
        public String operation() {
            return "dlq replay";
        }
    }
}

package io.pushline.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Behaviours without a server. */
class BehaviourTest {

    private static final Instant T0 = Instant.parse("2030-01-02T03:04:05Z");

    @Test
    void duringAnswersOnlyInsideTheWindowFromInclusiveUntilExclusive() {
        AtomicReference<Instant> now = new AtomicReference<>(T0);
        Behaviour outage = Behaviour.during(clock(now), T0.plusSeconds(10), T0.plusSeconds(20), Verdict.serviceUnavailable(null))
                .orElse(Behaviour.acceptAll());

        assertThat(outage.decide("t", "p")).isEqualTo(Verdict.accept());
        now.set(T0.plusSeconds(10));
        assertThat(outage.decide("t", "p")).isEqualTo(Verdict.serviceUnavailable(null));
        now.set(T0.plusSeconds(20).minusNanos(1));
        assertThat(outage.decide("t", "p")).isEqualTo(Verdict.serviceUnavailable(null));
        now.set(T0.plusSeconds(20));
        assertThat(outage.decide("t", "p")).isEqualTo(Verdict.accept());
    }

    @Test
    void duringRejectsAnInvertedWindow() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Behaviour.during(Clock.systemUTC(), T0, T0.minusSeconds(1), Verdict.accept()))
                .withMessage("until must not be before from, was 2030-01-02T03:04:04Z < 2030-01-02T03:04:05Z");
    }

    @Test
    void connectionDropIsAFaultWithoutDelay() {
        assertThat(Verdict.connectionDrop()).isEqualTo(new Verdict.Reject(Fault.CONNECTION_DROP, null, null, Duration.ZERO));
    }

    private static Clock clock(AtomicReference<Instant> now) {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
    }
}

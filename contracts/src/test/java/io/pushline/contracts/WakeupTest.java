package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;

class WakeupTest {

  /** A punctuation as Kafka Streams keeps it: due at a time, until cancelled. */
  private static final class Armed {
    final long dueMs;
    final LongConsumer onFire;
    boolean cancelled;

    Armed(long dueMs, LongConsumer onFire) {
      this.dueMs = dueMs;
      this.onFire = onFire;
    }
  }

  private long now = 1_000;
  private final List<Armed> armed = new ArrayList<>();
  private final List<Long> ran = new ArrayList<>();

  private Wakeup wakeup(Duration minDelay, LongConsumer action) {
    return new Wakeup((delay, onFire) -> {
      Armed a = new Armed(now + delay.toMillis(), onFire);
      armed.add(a);
      return () -> a.cancelled = true;
    }, () -> now, minDelay, action);
  }

  private List<Armed> live() {
    return armed.stream().filter(a -> !a.cancelled).toList();
  }

  /** Moves the clock and fires what is due, as the stream thread's loop does. */
  private void advanceTo(long ms) {
    now = ms;
    for (Armed a : List.copyOf(armed)) {
      if (!a.cancelled && a.dueMs <= now) {
        a.onFire.accept(now);
      }
    }
  }

  @Test
  void armsOnlyWhenAskedAndFiresOnce() {
    Wakeup w = wakeup(Duration.ofMillis(50), ran::add);
    assertThat(w.armed()).isFalse();
    assertThat(armed).isEmpty();

    w.at(1_500);
    assertThat(live()).singleElement().satisfies(a -> assertThat(a.dueMs).isEqualTo(1_500));
    advanceTo(1_499);
    assertThat(ran).isEmpty();
    advanceTo(1_500);
    assertThat(ran).containsExactly(1_500L);
    assertThat(w.armed()).isFalse();
    assertThat(live()).as("a fired wake-up is cancelled, so Streams does not repeat it").isEmpty();
    advanceTo(5_000);
    assertThat(ran).containsExactly(1_500L);
  }

  @Test
  void anEarlierTimeReplacesTheArmedOneAndALaterOneWaitsForIt() {
    Wakeup w = wakeup(Duration.ofMillis(50), ran::add);
    w.at(3_000);
    w.at(2_000);
    assertThat(live()).singleElement().satisfies(a -> assertThat(a.dueMs).isEqualTo(2_000));
    w.at(2_500);
    assertThat(live()).singleElement().satisfies(a -> assertThat(a.dueMs).isEqualTo(2_000));
    assertThat(armed).hasSize(2);
  }

  @Test
  void neverSoonerThanTheMinimumDelaySoItCannotSpin() {
    Wakeup w = wakeup(Duration.ofMillis(50), ran::add);
    w.at(0);
    assertThat(live()).singleElement().satisfies(a -> assertThat(a.dueMs).isEqualTo(1_050));
    w.soon();
    assertThat(live()).hasSize(1);
  }

  @Test
  void theActionAsksForItsNextTimeWhileFiring() {
    List<Long> ticks = new ArrayList<>();
    Wakeup[] w = new Wakeup[1];
    int[] pagesLeft = {3};
    w[0] = wakeup(Duration.ofMillis(100), ts -> {
      ticks.add(ts);
      if (--pagesLeft[0] > 0) {
        w[0].soon();
      }
    });
    w[0].soon();
    for (long t = 1_000; t <= 2_000; t += 10) {
      advanceTo(t);
    }
    assertThat(ticks).containsExactly(1_100L, 1_200L, 1_300L);
    assertThat(w[0].armed()).isFalse();
  }

  @Test
  void disarmCancels() {
    Wakeup w = wakeup(Duration.ofMillis(50), ran::add);
    w.at(2_000);
    w.disarm();
    assertThat(live()).isEmpty();
    advanceTo(3_000);
    assertThat(ran).isEmpty();
  }

  @Test
  void aMinimumDelayMustBePositive() {
    assertThatThrownBy(() -> wakeup(Duration.ZERO, ran::add))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("minDelay must be positive, was PT0S");
  }
}

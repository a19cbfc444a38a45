package io.pushline.loadtests.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private static final String NL = System.lineSeparator();

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private long nanos = 1_000_000_000L; // any origin: the bar measures from its creation

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private void advanceMillis(long millis) {
        nanos += TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void plainModePrintsALineAtMostEveryThreeSecondsWithRateAndEta() {
        ProgressBar bar = new ProgressBar(out, "pushes", 27_000, false, () -> nanos);

        bar.update(0);
        advanceMillis(1_000);
        bar.update(4_000);   // too soon: not drawn
        advanceMillis(2_000);
        bar.update(12_150);  // 3 s in: 4,050/s, 14,850 left: 3.67 s, shown as 0:04

        assertThat(output()).isEqualTo(
                "pushes [....................] 0% 0/27,000  -/s  ETA -:--" + NL
                        + "pushes [#########...........] 45% 12,150/27,000  4,050/s  ETA 0:04" + NL);
    }

    @Test
    void finishDrawsTheFullBarWithTheTimeTakenOnce() {
        ProgressBar bar = new ProgressBar(out, "pushes", 27_000, false, () -> nanos);
        bar.update(0);
        advanceMillis(6_400);

        bar.finish(27_000);
        bar.finish(27_000);
        advanceMillis(10_000);
        bar.update(27_000);

        assertThat(output()).endsWith(NL + "pushes [####################] 100% 27,000/27,000  4,219/s  in 0:06" + NL)
                .containsOnlyOnce("100%");
    }

    @Test
    void etaBeyondAnHourShowsHours() {
        ProgressBar bar = new ProgressBar(out, "records", 10_000_000, false, () -> nanos);
        advanceMillis(10_000);

        bar.update(10_000); // 1,000/s, 9,990,000 left: 9,990 s

        assertThat(output()).isEqualTo(
                "records [....................] 0% 10,000/10,000,000  1,000/s  ETA 2:46:30" + NL);
    }

    @Test
    void terminalModeRedrawsOneLineInPlacePaddingOverLongerOnesAndEndsItOnFinish() {
        ProgressBar bar = new ProgressBar(out, "pushes", 100, true, () -> nanos);

        bar.update(0);
        advanceMillis(100);
        bar.update(10); // within 200 ms: not drawn
        advanceMillis(400);
        bar.update(50);
        advanceMillis(500);
        bar.finish(50); // an aborted run: the final line is shorter than the one before

        String first = "pushes [....................] 0% 0/100  -/s  ETA -:--";
        String second = "pushes [##########..........] 50% 50/100  100/s  ETA 0:01";
        String last = "pushes [##########..........] 50% 50/100  50/s  in 0:01";
        assertThat(output()).isEqualTo("\r" + first + "\r" + second + "\r" + last + "  " + NL);
    }

    @Test
    void noRateOrEstimateInTheFirstHalfSecond() {
        ProgressBar bar = new ProgressBar(out, "pushes", 27_000, false, () -> nanos);
        advanceMillis(2);

        bar.update(12_345); // would be 6 million per second

        assertThat(output()).isEqualTo("pushes [#########...........] 45% 12,345/27,000  -/s  ETA -:--" + NL);
    }

    @Test
    void zeroTotalIsComplete() {
        ProgressBar bar = new ProgressBar(out, "nothing", 0, false, () -> nanos);
        advanceMillis(1_000);

        bar.finish(0);

        assertThat(output()).isEqualTo("nothing [####################] 100% 0/0  -/s  in 0:01" + NL);
    }

    @Test
    void publicConstructorWorksWithoutAConsoleAndRejectsANegativeTotal() {
        new ProgressBar(out, "pushes", 10).update(1);
        assertThat(output()).startsWith("pushes [##");
        assertThatThrownBy(() -> new ProgressBar(out, "pushes", -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("total must be >= 0 but was -1");
    }
}

package io.pushline.loadtests.report;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Progress of a run towards a known total, with its rate and an estimate of the time left:
 *
 * <pre>label [#########...........] 45% 12,345/27,000  4,321/s  ETA 0:03</pre>
 *
 * <p>On a terminal ({@code System.console() != null}) one line is redrawn in place with {@code \r} at most five
 * times a second; otherwise (a pipe, a CI log) a plain line is printed at most every three seconds, so logs stay
 * short. The rate is the average since the bar was created, shown once half a second has passed.
 *
 * <p>Thread-safe, and {@link #update} is cheap when it does not draw (one clock read), so it may be called for
 * every completed unit from any thread. Call {@link #finish} once at the end; updates after it are ignored.
 */
public final class ProgressBar {
    static final long TERMINAL_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    static final long PLAIN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final int BAR_WIDTH = 20;
    private static final double MIN_SECONDS_FOR_RATE = 0.5;

    private final PrintStream out;
    private final String label;
    private final long total;
    private final boolean terminal;
    private final LongSupplier nanoClock;
    private final long startNanos;
    private volatile long nextDrawNanos;
    private int lastLineLength;
    private boolean finished;

    /**
     * A bar drawn on {@code out}, redrawn in place if this JVM has a console.
     *
     * @param out where to draw, usually {@code System.out}
     * @param label what is progressing, e.g. {@code pushes}
     * @param total the count at which the work is done
     * @throws IllegalArgumentException if {@code total} is negative
     */
    public ProgressBar(PrintStream out, String label, long total) {
        this(out, label, total, System.console() != null, System::nanoTime);
    }

    ProgressBar(PrintStream out, String label, long total, boolean terminal, LongSupplier nanoClock) {
        this.out = Objects.requireNonNull(out, "out");
        this.label = Objects.requireNonNull(label, "label");
        if (total < 0) {
            throw new IllegalArgumentException("total must be >= 0 but was " + total);
        }
        this.total = total;
        this.terminal = terminal;
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.startNanos = nanoClock.getAsLong();
        this.nextDrawNanos = startNanos;
    }

    /** Reports that {@code done} units are complete; draws if the last drawing is old enough. */
    public void update(long done) {
        long now = nanoClock.getAsLong();
        if (now - nextDrawNanos < 0) {
            return;
        }
        synchronized (this) {
            if (finished || now - nextDrawNanos < 0) {
                return;
            }
            nextDrawNanos = now + (terminal ? TERMINAL_INTERVAL_NANOS : PLAIN_INTERVAL_NANOS);
            draw(line(done, now, false), false);
        }
    }

    /** Draws the final line, with the time taken instead of an estimate, and ends it. Later calls do nothing. */
    public void finish(long done) {
        long now = nanoClock.getAsLong();
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            draw(line(done, now, true), true);
        }
    }

    private String line(long done, long now, boolean last) {
        double seconds = (now - startNanos) / 1e9;
        int percent = total == 0 ? 100 : (int) Math.max(0, Math.min(100, Math.floor(100.0 * done / total)));
        int filled = percent * BAR_WIDTH / 100;
        StringBuilder b = new StringBuilder(label.length() + 80);
        b.append(label).append(" [")
                .append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ")
                .append(percent).append("% ")
                .append(Formats.count(done)).append('/').append(Formats.count(total)).append("  ");
        // Under half a second a rate is noise (a first update can be millions "per second"); the final line has
        // no estimate to mislead, so it shows whatever the rate was.
        double rate = seconds >= MIN_SECONDS_FOR_RATE || (last && seconds > 0) ? done / seconds : Double.NaN;
        b.append(rate > 0 ? String.format(Locale.ROOT, rate >= 10 ? "%,.0f" : "%.1f", rate) : "-").append("/s  ");
        if (last) {
            b.append("in ").append(Formats.clock(Math.round(seconds)));
        } else if (done >= total) {
            b.append("ETA 0:00");
        } else if (rate > 0) {
            b.append("ETA ").append(Formats.clock((long) Math.ceil((total - done) / rate)));
        } else {
            b.append("ETA -:--");
        }
        return b.toString();
    }

    private void draw(String line, boolean last) {
        if (terminal) {
            int pad = Math.max(0, lastLineLength - line.length());
            out.print("\r" + line + " ".repeat(pad) + (last ? System.lineSeparator() : ""));
            lastLineLength = line.length();
        } else {
            out.println(line);
        }
        out.flush();
    }
}

package io.pushline.loadtests.report;

import java.util.Locale;

/** Number formats shared by the text and HTML renderings, so the two always agree. Locale-independent. */
final class Formats {
    private Formats() {
    }

    /** {@code 12,345}. */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** A rate or throughput: {@code 123,457}, {@code 45.7}, {@code 0.42}; {@code n/a} if not finite. */
    static String rate(double perSec) {
        if (!Double.isFinite(perSec)) {
            return "n/a";
        }
        double abs = Math.abs(perSec);
        if (abs >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", perSec);
        }
        return String.format(Locale.ROOT, abs >= 10 ? "%,.1f" : "%.2f", perSec);
    }

    /** {@code 0.381}; {@code n/a} if not finite. */
    static String ratio(double ratio) {
        return Double.isFinite(ratio) ? String.format(Locale.ROOT, "%.3f", ratio) : "n/a";
    }

    /** {@code 38.1%}; empty if not finite. */
    static String percentOf(double ratio) {
        return Double.isFinite(ratio) ? String.format(Locale.ROOT, "%.1f%%", ratio * 100) : "";
    }

    /** Milliseconds with three decimals: {@code 1.234}. */
    static String ms(double ms) {
        return Double.isFinite(ms) ? String.format(Locale.ROOT, "%.3f", ms) : "n/a";
    }

    /** MiB with one decimal: {@code 1,234.5}. */
    static String mb(double mb) {
        return Double.isFinite(mb) ? String.format(Locale.ROOT, "%,.1f", mb) : "n/a";
    }

    /** A duration for people: {@code 850 ms}, {@code 12.3 s}, {@code 3 min 04 s}, {@code 1 h 02 min}. */
    static String duration(long millis) {
        if (millis < 1000) {
            return millis + " ms";
        }
        if (millis < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
        }
        long seconds = millis / 1000;
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", seconds / 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", seconds / 3600, seconds % 3600 / 60);
    }

    /** A clock-style duration: {@code 0:03}, {@code 12:34}, {@code 1:02:03}. */
    static String clock(long seconds) {
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds % 3600 / 60, seconds % 60);
    }

    /** A parameter or figure value: whole numbers grouped, fractions to four significant places, else text. */
    static String value(Object value) {
        if (value == null) {
            return "—";
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return count(((Number) value).longValue());
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (!Double.isFinite(d)) {
                return "n/a";
            }
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                return count((long) d);
            }
            return Math.abs(d) >= 1000 ? String.format(Locale.ROOT, "%,.1f", d)
                    : String.format(Locale.ROOT, "%.4g", d);
        }
        return String.valueOf(value);
    }

    /** {@code 8 cores, Java 17.0.15 (Eclipse Adoptium), Linux 6.1.0 amd64, max heap 4,096 MB}. */
    static String machine(Machine m) {
        return m.cores() + " cores, Java " + m.jvmVersion() + " (" + m.jvmVendor() + "), " + m.os().trim()
                + ", max heap " + count(m.maxHeapMb()) + " MB";
    }
}

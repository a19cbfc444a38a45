package io.pushline.topology;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The weights by which apps (tenants: see {@code TimelinePosted.appId}) share the bulk lane. An app without a weight of
 * its own has {@link #defaultWeight()}; by default every app weighs 1, so apps share equally. Weights only matter
 * between apps that have work at the same time: an app alone gets the whole lane whatever its weight.
 */
public record AppWeights(Map<String, Integer> weights, int defaultWeight) {
    /** The most weight an app may have; with the page size it bounds the smallest share (a share is never below 1). */
    public static final int MAX_WEIGHT = 1_000;
    /** The most apps with a weight of their own: configuration, not a registry. */
    public static final int MAX_APPS = 10_000;
    /** The app of posts that name none. */
    public static final String DEFAULT_APP = "default";
    public static final AppWeights EQUAL = new AppWeights(Map.of(), 1);
    private static final Pattern APP_ID = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");

    public AppWeights {
        if (defaultWeight < 1 || defaultWeight > MAX_WEIGHT) {
            throw new IllegalArgumentException("the default weight must be between 1 and " + MAX_WEIGHT + ", was " + defaultWeight);
        }
        if (weights.size() > MAX_APPS) {
            throw new IllegalArgumentException("at most " + MAX_APPS + " apps may have a weight of their own, were " + weights.size());
        }
        weights.forEach((app, weight) -> {
            if (app == null || !APP_ID.matcher(app).matches()) {
                throw new IllegalArgumentException("an app id must be 1 to 128 of [A-Za-z0-9._:@-], was " + quoteShort(app));
            }
            if (weight == null || weight < 1 || weight > MAX_WEIGHT) {
                throw new IllegalArgumentException("the weight of app " + app + " must be between 1 and " + MAX_WEIGHT + ", was " + weight);
            }
        });
        weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
    }

    /** The weight of {@code app} ({@code null}: the default app). */
    public int weight(String app) {
        return weights.getOrDefault(app == null ? DEFAULT_APP : app, defaultWeight);
    }

    /**
     * Parses {@code app=weight[,app=weight...]}, where the app {@code *} sets the default weight; blank is
     * {@link #EQUAL}. Errors name the entry at fault.
     */
    public static AppWeights parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return EQUAL;
        }
        Map<String, Integer> weights = new LinkedHashMap<>();
        int defaultWeight = 1;
        for (String entry : spec.split(",", -1)) {
            String trimmed = entry.trim();
            int eq = trimmed.indexOf('=');
            if (eq <= 0 || eq == trimmed.length() - 1) {
                throw new IllegalArgumentException("expected app=weight, got " + quoteShort(trimmed));
            }
            String app = trimmed.substring(0, eq).trim();
            String number = trimmed.substring(eq + 1).trim();
            int weight;
            try {
                weight = Integer.parseInt(number);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("the weight of " + quoteShort(app) + " is not a whole number: " + quoteShort(number));
            }
            if (app.equals("*")) {
                defaultWeight = weight;
                if (weight < 1 || weight > MAX_WEIGHT) {
                    throw new IllegalArgumentException("the default weight (*) must be between 1 and " + MAX_WEIGHT + ", was " + weight);
                }
            } else if (weights.put(app, weight) != null) {
                throw new IllegalArgumentException(quoteShort(app) + " is given twice");
            }
        }
        return new AppWeights(weights, defaultWeight);
    }

    private static String quoteShort(String s) {
        if (s == null) {
            return "null";
        }
        return "\"" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "\"";
    }
}

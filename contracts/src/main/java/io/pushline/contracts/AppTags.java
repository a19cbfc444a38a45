package io.pushline.contracts;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code app} tag of per-app metrics: app ids come from publishers, so a metric that tags each one would grow a
 * series per app ever seen. The first {@link #MAX} apps get their own tag; later ones share {@value #OTHER}.
 * Thread-safe; one per metric family (the topology's app pushes, a worker's queue waits).
 */
public final class AppTags {
    /** Apps named in a metric family's tags, at most. */
    public static final int MAX = 200;
    /** The tag of every app past the first {@link #MAX}. */
    public static final String OTHER = "other";

    private final Set<String> named = ConcurrentHashMap.newKeySet();

    /** {@code app} itself if it is named (or there is room to name it), else {@value #OTHER}. */
    public String of(String app) {
        if (named.contains(app)) {
            return app;
        }
        synchronized (named) {
            if (named.contains(app) || named.size() < MAX) {
                named.add(app);
                return app;
            }
        }
        return OTHER;
    }
}

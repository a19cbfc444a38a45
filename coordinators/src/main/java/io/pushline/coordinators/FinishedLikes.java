package io.pushline.coordinators;

import java.time.Instant;
import java.util.Map;

/**
 * What finished like coordinators leave behind in the coordinators' state, as records of the facts store's changelog
 * topic. A benchmark uses it to build the state of a long-running deployment without running a million coordinators
 * first ({@code pushline bench history}); the records are encoded here, beside {@link Facts}, so that they are the
 * ones the flows write.
 *
 * <p>A like coordinator that finished leaves its decision ({@code like|ACTOR|POST}: the like stands) and the post's
 * like count ({@code count|POST}). Its journal is deleted when it finishes (a tombstone, which compaction removes), and
 * its notification window expires with the window: neither is state of an old deployment. Both records belong to the
 * partition of the post's owner, whose coordinators carried the like out.
 */
public final class FinishedLikes {
    private FinishedLikes() {
    }

    /** The changelog topic of the facts store of the coordinators with {@code applicationId}. */
    public static String factsChangelog(String applicationId) {
        return applicationId + "-" + Facts.STORE + "-changelog";
    }

    /** The decision of a standing like, as the like flow records it. */
    public static Map.Entry<String, byte[]> decision(String actorId, String postId, Instant at, String eventId, String coordinatorId) {
        return Map.entry(Facts.decisionKey(Flows.LIKE, actorId, postId),
                Facts.write(new Facts.Decision(true, at.toEpochMilli(), eventId, coordinatorId)));
    }

    /** A post's like count. */
    public static Map.Entry<String, byte[]> count(String postId, long likes) {
        if (likes < 1) {
            throw new IllegalArgumentException("a post's like count is at least 1, was " + likes);
        }
        return Map.entry(Facts.countKey(postId), Long.toString(likes).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}

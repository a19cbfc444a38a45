package io.pushline.contracts;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The catalogue of Pushline's Kafka topics: names, keys, cleanup and retention.
 *
 * <p>The state, job and push topics are <b>co-partitioned</b>: they share one partition count,
 * and records about user {@code u} live on partition {@code Keys.partitionFor(u, n)} of each, so
 * the partition that knows "F follows A" also holds F's devices. Never change the partition count
 * of an existing deployment: keys would move. {@link #STATE_LIKES} is the exception among the state
 * topics: an output for other services, it is partitioned by Kafka's default partitioner on its whole
 * key, not by the key's first part.
 *
 * <p>{@link #EVENTS} and {@link #DEAD_LETTERS} accept records up to {@link #MAX_EVENTS_MESSAGE_BYTES}
 * (8 MiB), larger than the codec's limit, so an oversize event still reaches the router and is
 * dead-lettered with its original bytes. Producers writing to them need {@code max.request.size}
 * at least that large. Stateless.
 */
public final class Topics {
  /** Ingress: every published event. Key: {@link EventType#keyOf}. Delete, 7 days, 8 MiB messages. */
  public static final String EVENTS = "pushline.events";
  /** Records that failed to decode, with {@link DeadLetters} headers and the original bytes. Delete, 14 days. */
  public static final String DEAD_LETTERS = "pushline.dead-letters";
  /** Internal: device events re-keyed by token. Key: token. Delete, 7 days. */
  public static final String DEVICE_EVENTS_BY_TOKEN = "pushline.router.device-events";
  /**
   * Internal: content and ban events re-keyed by the profile they belong to ({@link PostCreated}
   * by authorId, {@link LikeCreated} by actorId, {@link ProfileBanned} by profileId), so a
   * profile's content index lives on one partition. Delete, 7 days.
   */
  public static final String CONTENT_EVENTS_BY_PROFILE = "pushline.router.content-events";
  /** Devices per user. Compacted; key {@code userId|token}; partitioned by userId. */
  public static final String STATE_DEVICES = "pushline.state.devices";
  /** Follow edges. Compacted; key {@code followerId|followeeId}; partitioned by followerId. */
  public static final String STATE_FOLLOWS = "pushline.state.follows";
  /** Fanout jobs; each job is written to every partition. Delete, 1 day. */
  public static final String FANOUT_JOBS = "pushline.fanout.jobs";
  /** Push tasks of the high lane (bounded flows). Key: userId. Delete, 1 day. */
  public static final String PUSH_HIGH = "pushline.push.high";
  /** Push tasks of the bulk lane (fanouts). Key: userId. Delete, 1 day. */
  public static final String PUSH_BULK = "pushline.push.bulk";
  /**
   * Push outcomes. Compacted and deleted after {@link #PUSH_RECEIPTS_RETENTION}; key {@code userId|pushId},
   * partitioned by userId (co-partitioned with the push tasks).
   */
  public static final String PUSH_RECEIPTS = "pushline.push.receipts";
  /**
   * Banned profiles: the {@link ProfileBanned} event per profile. Compacted; key profileId. Small;
   * for consumers that must drop work about a banned profile (e.g. workers, unsent pushes).
   */
  public static final String STATE_BANNED_PROFILES = "pushline.state.banned-profiles";
  /** Users' delivery preferences (quiet hours, muted categories). Key: userId. Compacted: the latest per user. */
  public static final String STATE_PREFERENCES = "pushline.state.preferences";
  /**
   * {@link ContentRemoval} commands of ban cascades, one per piece of content, with deterministic
   * ids. Key: profileId. Delete, 7 days.
   */
  public static final String MODERATION_REMOVALS = "pushline.moderation.removals";
  /**
   * Output for other services: who likes which post. Compacted; key {@code actorId|postId},
   * partitioned by Kafka's default partitioner on the whole key. Value: the {@link LikeCreated}
   * CloudEvent; a tombstone when the like was removed ({@link LikeRemoved}).
   */
  public static final String STATE_LIKES = "pushline.state.likes";
  /**
   * Output for other services: the latest like count per post, as {@link TimelineEntryUpdated}.
   * Compacted; key {@code ownerId|postId}.
   */
  public static final String TIMELINE_ENTRIES = "pushline.timeline.entries";
  /** Output for other services: activity feed entries, as {@link ActivityRecorded}. Key: recipientId. Delete, 7 days. */
  public static final String ACTIVITY = "pushline.activity";
  /**
   * Output for other services: in-app notifications, as {@link NotificationUpdated}. Compacted; key
   * {@code recipientId|notificationId}: an inbox keeps the latest version of each notification.
   */
  public static final String NOTIFICATIONS = "pushline.notifications";
  /**
   * Internal: the original events of the coordinated flows (likes, follows) re-keyed by the flow's
   * recipient (the post's owner; the followee for follows). Delete, 1 day.
   */
  public static final String COORDINATOR_INTAKE = "pushline.coordinators.intake";
  /**
   * Internal: small JSON admin commands (retry or discard a parked coordinator). Key: the
   * coordinator's recipient id. Delete, 7 days.
   */
  public static final String COORDINATOR_COMMANDS = "pushline.coordinators.commands";
  /**
   * Internal: a JSON description of each parked coordinator, tombstoned when it is retried or
   * discarded. Compacted; key: coordinator id.
   */
  public static final String COORDINATORS_PARKED = "pushline.coordinators.parked";

  /** {@code max.message.bytes} of {@link #EVENTS} and {@link #DEAD_LETTERS}: 8 MiB. */
  public static final int MAX_EVENTS_MESSAGE_BYTES = 8_388_608;

  /**
   * How long a push receipt is kept by default: the longest push TTL (the timeline pushes', 6 h) plus the retry horizon
   * (a retry waits an hour at most), so 7 h. A receipt only has to outlive every copy of its task that could still be
   * sent; the workers' {@code ReceiptsConfig} derives the same figure and checks a configured one against it.
   */
  public static final Duration PUSH_RECEIPTS_RETENTION = Duration.ofHours(7);

  /**
   * {@code segment.ms} of {@link #PUSH_RECEIPTS}: a segment rolls every hour, so receipts past the retention leave the
   * disk within the hour, not when a 1 GiB or 7-day segment rolls.
   */
  static final Duration PUSH_RECEIPTS_SEGMENT = Duration.ofHours(1);

  private static final Duration ONE_DAY = Duration.ofDays(1);

  private Topics() {
  }

  /**
   * The catalogue unreplicated ({@link Replication#of}{@code (1)}): for its names, and for a single
   * broker. A deployment resolves its replication from the cluster ({@link Replication.Choice}).
   */
  public static List<TopicSpec> catalogue(int partitions) {
    return catalogue(partitions, Replication.of(1));
  }

  /**
   * {@link #catalogue(int, Replication)} with {@link Replication#of}{@code (replicationFactor)}.
   *
   * @throws IllegalArgumentException if {@code partitions} or {@code replicationFactor} is not positive
   */
  public static List<TopicSpec> catalogue(int partitions, short replicationFactor) {
    return catalogue(partitions, Replication.of(replicationFactor));
  }

  /**
   * Every topic above, each with {@code partitions} partitions (the co-partitioned ones must share
   * one count; the others use it too, for one knob) and {@code replication}.
   *
   * @throws IllegalArgumentException if {@code partitions} is not positive
   */
  public static List<TopicSpec> catalogue(int partitions, Replication replication) {
    return catalogue(partitions, replication, PUSH_RECEIPTS_RETENTION);
  }

  /**
   * As {@link #catalogue(int, Replication)}, with {@link #PUSH_RECEIPTS} kept for {@code receiptsRetention} (the
   * workers' configured receipts retention) instead of {@link #PUSH_RECEIPTS_RETENTION}.
   *
   * @throws IllegalArgumentException if {@code partitions} is not positive or {@code receiptsRetention} is under 1 ms
   */
  public static List<TopicSpec> catalogue(int partitions, Replication replication, Duration receiptsRetention) {
    Require.positive(partitions, "partitions");
    Require.nonNull(replication, "replication");
    Require.nonNull(receiptsRetention, "receiptsRetention");
    Map<String, String> receiptSegments = Map.of(TopicConfig.SEGMENT_MS_CONFIG,
        Long.toString(Math.min(PUSH_RECEIPTS_SEGMENT.toMillis(), receiptsRetention.toMillis())));
    Map<String, String> large = Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MAX_EVENTS_MESSAGE_BYTES));
    Map<String, String> none = Map.of();
    Replication rf = replication;
    int n = partitions;
    return List.of(
        new TopicSpec(EVENTS, "EventType.keyOf(data)", n, rf, CleanupPolicy.DELETE, Duration.ofDays(7), large),
        new TopicSpec(DEAD_LETTERS, "the original record's key", n, rf, CleanupPolicy.DELETE, Duration.ofDays(14), large),
        new TopicSpec(DEVICE_EVENTS_BY_TOKEN, "token", n, rf, CleanupPolicy.DELETE, Duration.ofDays(7), none),
        new TopicSpec(CONTENT_EVENTS_BY_PROFILE, "profileId (post author, like actor, banned profile)", n, rf,
            CleanupPolicy.DELETE, Duration.ofDays(7), none),
        new TopicSpec(STATE_DEVICES, "userId|token, partitioned by userId", n, rf, CleanupPolicy.COMPACT, null, none),
        new TopicSpec(STATE_FOLLOWS, "followerId|followeeId, partitioned by followerId", n, rf, CleanupPolicy.COMPACT,
            null, none),
        new TopicSpec(FANOUT_JOBS, "job id; each job is written to every partition", n, rf, CleanupPolicy.DELETE,
            ONE_DAY, none),
        new TopicSpec(PUSH_HIGH, "userId", n, rf, CleanupPolicy.DELETE, ONE_DAY, none),
        new TopicSpec(PUSH_BULK, "userId", n, rf, CleanupPolicy.DELETE, ONE_DAY, none),
        new TopicSpec(PUSH_RECEIPTS, "userId|pushId, partitioned by userId (older receipts: pushId)", n, rf,
            CleanupPolicy.COMPACT_DELETE, receiptsRetention, receiptSegments),
        new TopicSpec(STATE_BANNED_PROFILES, "profileId", n, rf, CleanupPolicy.COMPACT, null, none),
        new TopicSpec(STATE_PREFERENCES, "userId", n, rf, CleanupPolicy.COMPACT, null, none),
        new TopicSpec(MODERATION_REMOVALS, "profileId", n, rf, CleanupPolicy.DELETE, Duration.ofDays(7), none),
        new TopicSpec(STATE_LIKES, "actorId|postId, partitioned by the default partitioner on the whole key", n, rf,
            CleanupPolicy.COMPACT, null, none),
        new TopicSpec(TIMELINE_ENTRIES, "ownerId|postId", n, rf, CleanupPolicy.COMPACT, null, none),
        new TopicSpec(ACTIVITY, "recipientId", n, rf, CleanupPolicy.DELETE, Duration.ofDays(7), none),
        new TopicSpec(NOTIFICATIONS, "recipientId|notificationId", n, rf, CleanupPolicy.COMPACT, null, none),
        new TopicSpec(COORDINATOR_INTAKE, "the flow's recipient id (post owner; followee for follows)", n, rf,
            CleanupPolicy.DELETE, ONE_DAY, none),
        new TopicSpec(COORDINATOR_COMMANDS, "the coordinator's recipient id", n, rf, CleanupPolicy.DELETE,
            Duration.ofDays(7), none),
        new TopicSpec(COORDINATORS_PARKED, "coordinator id", n, rf, CleanupPolicy.COMPACT, null, none));
  }
}

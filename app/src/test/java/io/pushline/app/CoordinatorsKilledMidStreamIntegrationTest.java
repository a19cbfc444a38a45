package io.pushline.app;

import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.localstack.LocalStack;
import io.pushline.pipeline.Pipeline;
import io.pushline.pipeline.ProcessRole;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault suite, case "coordinators killed": the coordinators run as {@code pushline run --role coordinators} in a child
 * JVM and are SIGKILLed while likes stream in (transactions open), then restarted on the same state directory. Every
 * like completes, each of its records (saved like, timeline entry, activity, notification) is committed exactly once,
 * and no push is sent twice. Push tasks are written early ({@code EarlyHighLane}), before their transaction commits:
 * those of the transactions open at the kill are written again by the replay, with the same ids, so the high lane may
 * hold copies, bounded by what the coordinators had written since their last commit, and the workers' receipts send
 * each once.
 */
@Tag("integration")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(FaultRig.LANE_1)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class CoordinatorsKilledMidStreamIntegrationTest {
    @Test
    void coordinatorsKilledMidStreamCompleteEveryLikeCommitEachStateOutputOnceAndPushOnce(@TempDir Path dir) throws Exception {
        try (CrashRig rig = CrashRig.start(dir)) {
            int owners = 200;
            int likes = 1_200;
            rig.startInThisJvm("pipeline-state", EnumSet.of(ProcessRole.ROUTER, ProcessRole.WORKERS), true);
            List<String> tokens = TestAudience.seed(rig.bootstrapServers(), owners * 2);   // follower-i owns tokens 2i and 2i+1
            LocalStack.awaitCaughtUp(rig.broker().admin(), LocalStack.TOPOLOGY_GROUP,
                    List.of(Topics.EVENTS, Topics.DEVICE_EVENTS_BY_TOKEN, Topics.STATE_DEVICES), Duration.ofMinutes(2));

            Process first = rig.startRole("coordinators", "coordinators-1");
            rig.awaitCondition(() -> rig.caughtUp(CoordinatorTopology.DEFAULT_APPLICATION_ID, Topics.STATE_DEVICES), Duration.ofMinutes(2), first,
                    "the coordinators to know every device");

            // Likes stream in at about 200/s; the kill lands while they do, so transactions are open (journal entries and
            // step outputs written, not committed) at the kill.
            TestAudience.Likes batch = TestAudience.likes(tokens, owners, likes);   // follower-i owns tokens 2i and 2i+1
            Set<String> expected = batch.pushIds();
            Set<String> likeIds = new java.util.HashSet<>();
            batch.events().forEach(like -> likeIds.add(like.id()));
            java.util.concurrent.atomic.AtomicReference<Exception> publishFailure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread publisher = new Thread(() -> {
                try {
                    TestAudience.publishPaced(rig.bootstrapServers(), batch.events(), 200);
                } catch (RuntimeException e) {
                    publishFailure.set(e);
                }
            }, "likes-publisher");
            publisher.start();
            rig.awaitAccepted(expected.size() / 4, Duration.ofMinutes(2), first);
            first.destroyForcibly();   // SIGKILL
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long acceptedAtKill = rig.accepted();

            Process second = rig.startRole("coordinators", "coordinators-1");   // the same state directory: a restart
            rig.awaitAccepted(expected, Duration.ofMinutes(4), second);
            publisher.join(TimeUnit.MINUTES.toMillis(1));
            assertThat(publishFailure.get()).isNull();
            rig.awaitCondition(() -> rig.caughtUp(CoordinatorTopology.DEFAULT_APPLICATION_ID, Topics.EVENTS), Duration.ofMinutes(2), second,
                    "the coordinators to finish the events");
            LocalStack.awaitCaughtUp(rig.broker().admin(), LocalStack.HIGH_GROUP, List.of(Topics.PUSH_HIGH), Duration.ofMinutes(2));

            Map<String, Integer> counts = rig.acceptedByPushId();
            long lost = expected.stream().filter(id -> !counts.containsKey(id)).count();
            long duplicates = CrashRig.duplicates(counts);
            Map<String, Map<String, Integer>> committed = new java.util.LinkedHashMap<>();
            for (String topic : List.of(Topics.STATE_LIKES, Topics.TIMELINE_ENTRIES, Topics.ACTIVITY, Topics.NOTIFICATIONS, Topics.PUSH_HIGH)) {
                committed.put(topic, rig.committedByCeId(topic));
            }
            long aborted = rig.endOffsets(Topics.ACTIVITY) - committed.get(Topics.ACTIVITY).values().stream().mapToLong(Integer::longValue).sum();
            long pushTaskCopies = committed.get(Topics.PUSH_HIGH).values().stream().mapToLong(n -> n - 1).sum();
            System.out.printf("CoordinatorsKilledMidStreamIntegrationTest: coordinators SIGKILLed after %,d of %,d like pushes, restarted; lost %d, "
                    + "duplicates %d; committed records %s; activity offsets not committed (aborted writes and markers): %d; "
                    + "push tasks written again by the replay: %d%n",
                    acceptedAtKill, expected.size(), lost, duplicates,
                    committed.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().size()).toList(), aborted, pushTaskCopies);
            assertThat(acceptedAtKill).as("killed mid-stream").isLessThan(expected.size());
            assertThat(lost).isZero();
            assertThat(duplicates).isZero();
            committed.forEach((topic, byId) -> {
                if (!topic.equals(Topics.PUSH_HIGH)) {
                    assertThat(byId.values()).as("each record on " + topic + " committed once").isNotEmpty().allMatch(n -> n == 1);
                }
            });
            // At most the push tasks of one second of likes (2 devices each at 200/s) were written before their
            // transaction, open at the kill, could commit: many commit intervals' worth.
            assertThat(pushTaskCopies).as("push tasks written again by the replay").isBetween(0L, 400L);
            assertThat(committed.get(Topics.STATE_LIKES).keySet()).as("the saved likes are the original events").isEqualTo(likeIds);
            assertThat(committed.get(Topics.TIMELINE_ENTRIES)).hasSize(likes);
            // The seeding's follows (each owner follows author-0, who has no device) ran the follow flow: an activity entry and
            // a notification each, no push.
            assertThat(committed.get(Topics.ACTIVITY)).hasSize(likes + owners);
            assertThat(committed.get(Topics.NOTIFICATIONS)).hasSize(likes + owners);
            assertThat(committed.get(Topics.PUSH_HIGH).keySet()).isEqualTo(expected);
        }
    }
}

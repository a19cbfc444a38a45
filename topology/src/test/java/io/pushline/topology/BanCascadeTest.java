package io.pushline.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushline.topology.BanCascade.EdgeJob;
import io.pushline.topology.BanCascade.EdgePhase;
import io.pushline.topology.BanCascade.Finished;
import io.pushline.topology.BanCascade.More;
import io.pushline.topology.BanCascade.NextPhase;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The follow side of the ban cascade without a topology: the page decision on its own, then the cascade over Kafka's
 * in-memory stores (no broker, no changelog) with the follow indexes and the fanouts as fakes that record what they are
 * asked. The same cascade inside the topology, with the real indexes and sinks, is {@link BanCascadeDriverTest}.
 */
class BanCascadeTest {
    private static final long TS = 1_767_225_600_000L;
    private final ObjectMapper json = new ObjectMapper();

    // ---- one page, decided

    @Test
    void aPageWithMoreEndsThanItsBudgetRemovesTheBudgetAndMovesTheCursorToTheLast() {
        EdgeJob job = new EdgeJob("ban-1", "spammer", EdgePhase.FOLLOWERS, "fan-00", 1);

        BanCascade.Page page = BanCascade.page(job, List.of("fan-01", "fan-02", "fan-03"), 2);

        assertThat(page).isEqualTo(new More(List.of("fan-01", "fan-02"),
                new EdgeJob("ban-1", "spammer", EdgePhase.FOLLOWERS, "fan-02", 3)));
    }

    @Test
    void theFollowersPhaseDoneGoesOnToTheFollowingPhaseFromItsStart() {
        EdgeJob job = new EdgeJob("ban-1", "spammer", EdgePhase.FOLLOWERS, "fan-00", 1);

        assertThat(BanCascade.page(job, List.of("fan-01", "fan-02"), 2)).isEqualTo(new NextPhase(List.of("fan-01", "fan-02"),
                new EdgeJob("ban-1", "spammer", EdgePhase.FOLLOWING, null, 3)));
        assertThat(BanCascade.page(job, List.of(), 2)).as("no followers left")
                .isEqualTo(new NextPhase(List.of(), new EdgeJob("ban-1", "spammer", EdgePhase.FOLLOWING, null, 1)));
    }

    @Test
    void theFollowingPhaseDoneFinishesWithTheTotal() {
        EdgeJob job = new EdgeJob("ban-1", "spammer", EdgePhase.FOLLOWING, "celeb-1", 7);

        assertThat(BanCascade.page(job, List.of("celeb-2"), 5)).isEqualTo(new Finished(List.of("celeb-2"), 8));
        assertThat(BanCascade.page(job, List.of(), 5)).isEqualTo(new Finished(List.of(), 7));
    }

    @Test
    void theFollowingPhaseWithMoreThanItsBudgetGoesOn() {
        EdgeJob job = new EdgeJob("ban-1", "spammer", EdgePhase.FOLLOWING, null, 4);

        assertThat(BanCascade.page(job, List.of("a", "b"), 1))
                .isEqualTo(new More(List.of("a"), new EdgeJob("ban-1", "spammer", EdgePhase.FOLLOWING, "a", 5)));
    }

    @Test
    void aPageWithNoBudgetRemovesNothingAndKeepsItsCursor() {
        EdgeJob job = new EdgeJob("ban-1", "spammer", EdgePhase.FOLLOWERS, "fan-00", 1);

        assertThat(BanCascade.page(job, List.of("fan-01"), 0)).isEqualTo(new More(List.of(), job));
        assertThatThrownBy(() -> BanCascade.page(job, List.of(), -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }

    // ---- the cascade over its stores

    /** Follow edges as the two indexes hold them; records each removal as {@code follower→followee}. */
    private static final class FakeEdges implements BanCascade.Edges {
        final TreeSet<String> byFollowee = new TreeSet<>();
        final TreeSet<String> byFollower = new TreeSet<>();
        final List<String> removed = new ArrayList<>();
        final List<Integer> asked = new ArrayList<>();

        FakeEdges follow(String follower, String followee) {
            byFollowee.add(followee + "|" + follower);
            byFollower.add(follower + "|" + followee);
            return this;
        }

        @Override
        public List<String> ends(String profileId, EdgePhase phase, String after, int max) {
            asked.add(max);
            String prefix = profileId + "|";
            List<String> out = new ArrayList<>();
            for (String key : (phase == EdgePhase.FOLLOWERS ? byFollowee : byFollower).tailSet(prefix + (after == null ? "" : after), after == null)) {
                if (!key.startsWith(prefix) || out.size() == max) {
                    break;
                }
                out.add(key.substring(prefix.length()));
            }
            return out;
        }

        @Override
        public void remove(String follower, String followee, long timestamp) {
            assertThat(timestamp).isEqualTo(TS);
            byFollowee.remove(followee + "|" + follower);
            byFollower.remove(follower + "|" + followee);
            removed.add(follower + "→" + followee);
        }
    }

    private final FakeEdges edges = new FakeEdges();
    private final List<String> cancelled = new ArrayList<>();
    private KeyValueStore<String, byte[]> banned;
    private KeyValueStore<String, byte[]> edgeJobs;

    private BanCascade cascade(int pageSize) {
        Properties props = new Properties();
        props.put("processing.exception.handler.global.enabled", "true"); // else every context logs a warning about it
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>(props);
        banned = store(context, BanCascade.BANNED);
        edgeJobs = store(context, BanCascade.EDGE_JOBS);
        return new BanCascade(banned, edgeJobs, edges, (profile, ban) -> cancelled.add(ban + ":" + profile), pageSize, 0);
    }

    @Test
    void aBanRemembersTheProfileCancelsItsFanoutsAndRemovesItsEdgesBothWaysAtOnceWhenTheyFitAPage() {
        edges.follow("fan-1", "spammer").follow("fan-2", "spammer").follow("spammer", "celeb").follow("fan-1", "celeb");
        BanCascade cascade = cascade(10);
        assertThat(cascade.isBanned("spammer")).isFalse();

        cascade.onBan("ban-1", "spammer", TS);

        assertThat(cascade.isBanned("spammer")).isTrue();
        assertThat(cascade.isBanned("celeb")).isFalse();
        assertThat(new String(banned.get("spammer"), StandardCharsets.UTF_8)).isEqualTo("ban-1");
        assertThat(cancelled).containsExactly("ban-1:spammer");
        assertThat(edges.removed).containsExactly("fan-1→spammer", "fan-2→spammer", "spammer→celeb");
        assertThat(edges.byFollowee).containsExactly("celeb|fan-1");
        assertThat(keys(edgeJobs)).as("the edge job finished").isEmpty();
    }

    @Test
    void aRepeatedBanDoesNothing() {
        edges.follow("fan-1", "spammer");
        BanCascade cascade = cascade(10);
        cascade.onBan("ban-1", "spammer", TS);
        edges.follow("fan-9", "spammer"); // an edge the cascade would remove, were it to run again

        cascade.onBan("ban-2", "spammer", TS);

        assertThat(new String(banned.get("spammer"), StandardCharsets.UTF_8)).isEqualTo("ban-1");
        assertThat(cancelled).containsExactly("ban-1:spammer");
        assertThat(edges.removed).containsExactly("fan-1→spammer");
    }

    @Test
    void edgesBeyondAPageAreRemovedOnePageAtATimeAcrossBothPhasesWithTheCursorStored() throws Exception {
        for (int i = 0; i < 5; i++) {
            edges.follow("fan-" + i, "spammer");
        }
        edges.follow("spammer", "celeb-a").follow("spammer", "celeb-b");
        BanCascade cascade = cascade(3);

        cascade.onBan("ban-1", "spammer", TS);
        assertThat(edges.removed).containsExactly("fan-0→spammer", "fan-1→spammer", "fan-2→spammer");
        assertThat(edgeJob("spammer")).isEqualTo(new EdgeJob("ban-1", "spammer", EdgePhase.FOLLOWERS, "fan-2", 3));
        assertThat(edges.asked).as("one end more than the page, to know whether it goes on").containsExactly(4);

        cascade.removeEdgePages(TS);
        assertThat(edges.removed).hasSize(6).endsWith("fan-3→spammer", "fan-4→spammer", "spammer→celeb-a");
        assertThat(edgeJob("spammer")).isEqualTo(new EdgeJob("ban-1", "spammer", EdgePhase.FOLLOWING, "celeb-a", 6));

        cascade.removeEdgePages(TS);
        assertThat(edges.removed).hasSize(7).endsWith("spammer→celeb-b");
        assertThat(keys(edgeJobs)).isEmpty();
        assertThat(edges.byFollowee).isEmpty();

        cascade.removeEdgePages(TS);
        assertThat(edges.removed).as("nothing runs once finished").hasSize(7);
    }

    @Test
    void onePageIsSharedByEveryRunningEdgeJob() throws Exception {
        for (int i = 0; i < 6; i++) {
            edges.follow("fan-" + i, "spam-a").follow("fan-" + i, "spam-b");
        }
        BanCascade cascade = cascade(3);
        cascade.onBan("ban-a", "spam-a", TS);
        cascade.onBan("ban-b", "spam-b", TS);
        assertThat(edges.removed).hasSize(6);

        cascade.removeEdgePages(TS);
        assertThat(edges.removed).as("one page: spam-a's last three followers, nothing of spam-b's").hasSize(9)
                .endsWith("fan-3→spam-a", "fan-4→spam-a", "fan-5→spam-a");
        assertThat(edgeJob("spam-a")).isEqualTo(new EdgeJob("ban-a", "spam-a", EdgePhase.FOLLOWING, null, 6));
        assertThat(edgeJob("spam-b")).isEqualTo(new EdgeJob("ban-b", "spam-b", EdgePhase.FOLLOWERS, "fan-2", 3));

        cascade.removeEdgePages(TS);
        assertThat(edges.removed).hasSize(12).endsWith("fan-3→spam-b", "fan-4→spam-b", "fan-5→spam-b");
        assertThat(keys(edgeJobs)).as("spam-a finished with nothing to follow").containsExactly("spam-b");

        cascade.removeEdgePages(TS);
        assertThat(edges.removed).hasSize(12);
        assertThat(keys(edgeJobs)).isEmpty();
    }

    @Test
    void anEdgeJobLeftInItsStoreByACrashGoesOnFromItsCursor() {
        for (int i = 0; i < 4; i++) {
            edges.follow("fan-" + i, "spammer");
        }
        BanCascade cascade = cascade(10);
        banned.put("spammer", "ban-1".getBytes(StandardCharsets.UTF_8));
        // As the version before this class wrote it: the record's fields by name, the phase by its name.
        edgeJobs.put("spammer", "{\"banEventId\":\"ban-1\",\"profileId\":\"spammer\",\"phase\":\"FOLLOWERS\",\"cursor\":\"fan-1\",\"removed\":2}"
                .getBytes(StandardCharsets.UTF_8));

        cascade.removeEdgePages(TS);

        assertThat(edges.removed).containsExactly("fan-2→spammer", "fan-3→spammer");
        assertThat(cancelled).as("the ban itself was carried out before the crash").isEmpty();
        assertThat(keys(edgeJobs)).isEmpty();
    }

    private EdgeJob edgeJob(String profile) throws Exception {
        byte[] bytes = edgeJobs.get(profile);
        assertThat(bytes).as("edge job of " + profile).isNotNull();
        return json.readValue(bytes, EdgeJob.class);
    }

    private static List<String> keys(KeyValueStore<String, byte[]> store) {
        List<String> out = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            all.forEachRemaining(kv -> out.add(kv.key));
        }
        return out;
    }

    private static KeyValueStore<String, byte[]> store(MockProcessorContext<Object, Object> context, String name) {
        KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(),
                Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        return store;
    }
}

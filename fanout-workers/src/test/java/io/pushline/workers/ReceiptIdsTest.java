package io.pushline.workers;

import io.pushline.contracts.PushIds;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The compact push id set: packing, the String fallback, removal, trimming and its size; no I/O. */
class ReceiptIdsTest {

    @Test
    void aCanonicalPushIdIsPackedIntoItsTwoLongs() {
        for (int i = 0; i < 1_000; i++) {
            UUID uuid = i == 0 ? new UUID(-1, -1) : UUID.nameUUIDFromBytes(("event-" + i).getBytes());
            ReceiptIds.Key key = ReceiptIds.Key.of(uuid.toString());
            assertThat(key.packed()).isTrue();
            assertThat(new UUID(key.msb(), key.lsb())).isEqualTo(uuid);
        }
        assertThat(ReceiptIds.Key.of(PushIds.pushId("urn:pushline:test", "e", "t")).packed()).isTrue();
    }

    @Test
    void onlyTheCanonicalFormIsPackedSoTwoDifferentKeysNeverMeet() {
        String canonical = "0000000a-000b-000c-000d-00000000000e";
        ReceiptIds ids = new ReceiptIds();
        ids.add(ReceiptIds.Key.of(canonical), 0);
        // UUID.fromString reads all of these as the same UUID; as receipts keys they are different pushes.
        for (String other : List.of("a-b-c-d-e", canonical.toUpperCase(), "{" + canonical + "}", "push-1", "",
                "0000000a-000b-000c-000d-00000000000g", "0000000a+000b-000c-000d-00000000000e")) {
            assertThat(ReceiptIds.Key.of(other).packed()).as(other).isFalse();
            assertThat(ids.contains(ReceiptIds.Key.of(other))).as(other).isFalse();
        }
        ids.add(ReceiptIds.Key.of("push-1"), 0);
        assertThat(ids.contains(ReceiptIds.Key.of("push-1"))).isTrue();
        assertThat(ids.contains(ReceiptIds.Key.of(canonical))).isTrue();
        assertThat(ids.size()).isEqualTo(2);
        assertThat(ids.others()).isEqualTo(1);
    }

    @Test
    void theNilUuidIsHeldThoughItLooksLikeAnEmptySlot() {
        ReceiptIds ids = new ReceiptIds();
        ReceiptIds.Key nil = ReceiptIds.Key.of(new UUID(0, 0).toString());
        assertThat(ids.contains(nil)).isFalse();
        assertThat(ids.add(nil, 1)).isTrue();
        assertThat(ids.add(nil, 1)).isFalse();
        assertThat(ids.contains(nil)).isTrue();
        assertThat(ids.size()).isEqualTo(1);
        assertThat(ids.size(1)).isEqualTo(1);
        assertThat(ids.remove(nil, 1)).isTrue();
        assertThat(ids.contains(nil)).isFalse();
        assertThat(ids.size()).isZero();
    }

    @Test
    void oneIdOnTwoNumbersIsHeldForEachAndANumberIsTakenOutWhole() {
        // An upgrade may leave a push's receipt on the push id's partition (old key) and on its user's (new key).
        ReceiptIds ids = new ReceiptIds();
        List<String> pushIds = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            pushIds.add(PushIds.pushId("urn:pushline:test", "event", "token-" + i));
            ids.add(ReceiptIds.Key.of(pushIds.get(i)), i % 3);
        }
        ids.add(ReceiptIds.Key.of("bare-old-key"), 2);
        String both = pushIds.get(0);   // on number 0
        assertThat(ids.add(ReceiptIds.Key.of(both), 2)).as("the same id on another number").isTrue();
        assertThat(ids.size()).isEqualTo(1_002);
        assertThat(ids.size(0)).isEqualTo(334);
        assertThat(ids.size(2)).isEqualTo(335);

        assertThat(ids.removeNumber(0)).isEqualTo(334);
        assertThat(ids.contains(ReceiptIds.Key.of(both))).as("still held for number 2").isTrue();
        assertThat(ids.remove(ReceiptIds.Key.of(both), 0)).as("not on 0 any more").isFalse();
        assertThat(ids.removeNumber(2)).isEqualTo(335);
        assertThat(ids.contains(ReceiptIds.Key.of(both))).isFalse();
        assertThat(ids.contains(ReceiptIds.Key.of("bare-old-key"))).isFalse();
        assertThat(ids.size()).isEqualTo(333).isEqualTo(ids.size(1));
        for (int i = 0; i < 1_000; i++) {
            assertThat(ids.contains(ReceiptIds.Key.of(pushIds.get(i)))).as("push %d", i).isEqualTo(i % 3 == 1);
        }
        assertThatThrownBy(() -> ids.add(ReceiptIds.Key.of("x"), 65_536)).hasMessage("partition number must be 0 to 65535, was 65536");
    }

    @Test
    void addsAndRemovesAgreeWithAHashSetThroughGrowthTrimmingAndWrapAround() {
        Random random = new Random(7);
        ReceiptIds ids = new ReceiptIds();
        Set<String> reference = new HashSet<>();
        List<String> seen = new ArrayList<>();
        for (int step = 0; step < 60_000; step++) {
            int op = random.nextInt(1_000);
            String id;
            if (op < 600 || seen.isEmpty()) {
                // Few distinct ids in a small table: long probe runs that wrap around the end.
                id = random.nextInt(50) == 0 ? "old-" + random.nextInt(100) : new UUID(random.nextInt(4_000), random.nextLong()).toString();
                seen.add(id);
                assertThat(ids.add(ReceiptIds.Key.of(id), 4)).as("add %s", id).isEqualTo(reference.add(id));
            } else if (op < 995) {
                id = seen.get(random.nextInt(seen.size()));
                assertThat(ids.remove(ReceiptIds.Key.of(id), 4)).as("remove %s", id).isEqualTo(reference.remove(id));
            } else {
                ids.trim();
            }
            if (step % 1_000 == 0) {
                assertThat(ids.size()).isEqualTo(reference.size());
                for (String s : seen.subList(Math.max(0, seen.size() - 200), seen.size())) {
                    assertThat(ids.contains(ReceiptIds.Key.of(s))).as("contains %s", s).isEqualTo(reference.contains(s));
                }
            }
        }
        assertThat(reference).isNotEmpty();
        for (String s : seen) {
            assertThat(ids.contains(ReceiptIds.Key.of(s))).as("contains %s", s).isEqualTo(reference.contains(s));
        }
        assertThat(ids.size()).isEqualTo(reference.size()).isEqualTo(ids.size(4));
    }

    @Test
    void trimmingASetThatStoppedGrowingKeepsItWithinTheMaximumLoad() {
        ReceiptIds ids = new ReceiptIds();
        List<String> added = new ArrayList<>();
        Random random = new Random(11);
        for (int i = 0; i < 100_000; i++) {
            added.add(new UUID(random.nextLong(), random.nextLong()).toString());
            ids.add(ReceiptIds.Key.of(added.get(i)), i % 7);
        }
        int grown = ids.slots();
        ids.trim();
        assertThat(ids.slots()).isLessThanOrEqualTo(grown)
                .isGreaterThanOrEqualTo((int) Math.ceil(100_000 / ReceiptIds.MAX_LOAD))
                .isLessThan((int) (100_000 / ReceiptIds.MAX_LOAD) + 3);
        for (int i = 0; i < 100_000; i += 97) {
            assertThat(ids.contains(ReceiptIds.Key.of(added.get(i)))).isTrue();
        }
        assertThat(ids.size()).isEqualTo(100_000);
        assertThat(ids.contains(ReceiptIds.Key.of(PushIds.pushId("urn:pushline:test", "event-x", "token")))).isFalse();
    }
}

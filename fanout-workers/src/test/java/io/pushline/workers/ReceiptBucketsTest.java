package io.pushline.workers;

import io.pushline.contracts.PushIds;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Receipts in time buckets per partition number: expiry by whole buckets, drops, FAILED marks, size; no I/O. */
class ReceiptBucketsTest {
    private static final long HOUR = Duration.ofHours(1).toMillis();
    private static final long RETENTION = 7 * HOUR;
    private static final long T0 = Instant.parse("2026-03-01T10:00:00Z").toEpochMilli();

    private static ReceiptIds.Key key(String pushId) {
        return ReceiptIds.Key.of(pushId);
    }

    private static String id(int n) {
        return PushIds.pushId("urn:pushline:test", "event-" + n, "token-" + n);
    }

    @Test
    void receiptsPastTheRetentionAreDroppedAWholeBucketAtATime() {
        ReceiptBuckets buckets = new ReceiptBuckets(RETENTION, HOUR);
        buckets.open(0);
        buckets.open(1);
        long now = T0;
        // One receipt every 10 minutes for 7 hours, alternating partitions.
        for (int i = 0; i < 42; i++) {
            assertThat(buckets.add(i % 2, key(id(i)), T0 + i * 10 * 60_000L, false, now)).isTrue();
        }
        assertThat(buckets.size()).isEqualTo(42);
        assertThat(buckets.bucketStarts()).hasSize(7);
        assertThat(buckets.size(Set.of(0))).isEqualTo(21);

        // Just under retention + one bucket after T0: the first hour is still held (its bucket ends past the cutoff).
        now = T0 + RETENTION + HOUR - 1;
        assertThat(buckets.expire(now)).isZero();
        assertThat(buckets.contains(key(id(0)))).isTrue();
        // At retention + one bucket, the first hour's six receipts go, and only they.
        now = T0 + RETENTION + HOUR;
        assertThat(buckets.expire(now)).isEqualTo(6);
        assertThat(buckets.size()).isEqualTo(36);
        for (int i = 0; i < 42; i++) {
            assertThat(buckets.contains(key(id(i)))).as("receipt %d", i).isEqualTo(i >= 6);
        }
        assertThat(buckets.bucketStarts()).hasSize(6).doesNotContain(T0);
        assertThat(buckets.size(Set.of(0))).isEqualTo(18);
        // Seven hours on, everything has passed the retention.
        now += 6 * HOUR;
        assertThat(buckets.expire(now)).isEqualTo(36);
        assertThat(buckets.size()).isZero();
        assertThat(buckets.contains(key(id(41)))).isFalse();
        assertThat(buckets.numbers()).as("the numbers stay open, empty").containsExactlyInAnyOrder(0, 1);
        assertThat(buckets.bucketStarts()).isEmpty();
    }

    @Test
    void aReceiptAlreadyPastTheRetentionIsNotHeldAndANumberNotOwnedHoldsNothing() {
        ReceiptBuckets buckets = new ReceiptBuckets(RETENTION, HOUR);
        buckets.open(3);
        long now = T0 + 10 * HOUR;
        assertThat(buckets.tooOld(now - RETENTION - 1, now)).isTrue();
        assertThat(buckets.tooOld(now - RETENTION, now)).isFalse();
        assertThat(buckets.add(3, key(id(1)), now - RETENTION - 1, false, now)).isFalse();
        assertThat(buckets.add(3, key(id(2)), now - RETENTION, false, now)).isTrue();
        assertThat(buckets.add(4, key(id(3)), now, false, now)).as("number 4 is not held").isFalse();
        assertThat(buckets.contains(key(id(1)))).isFalse();
        assertThat(buckets.contains(key(id(2)))).isTrue();
        assertThat(buckets.contains(key(id(3)))).isFalse();
        assertThat(buckets.size()).isEqualTo(1);
    }

    @Test
    void droppingANumberDropsItsReceiptsOnly() {
        ReceiptBuckets buckets = new ReceiptBuckets(RETENTION, HOUR);
        buckets.open(0);
        buckets.open(1);
        buckets.add(0, key(id(0)), T0, false, T0);
        buckets.add(0, key("old-bare-key"), T0 + HOUR, false, T0 + HOUR);
        buckets.add(1, key(id(1)), T0, false, T0);
        assertThat(buckets.size(Set.of(0))).isEqualTo(2);
        assertThat(buckets.drop(0)).isEqualTo(2);
        assertThat(buckets.drop(0)).isZero();
        assertThat(buckets.contains(key(id(0)))).isFalse();
        assertThat(buckets.contains(key("old-bare-key"))).isFalse();
        assertThat(buckets.contains(key(id(1)))).isTrue();
        assertThat(buckets.numbers()).containsExactly(1);
    }

    @Test
    void theLatestReceiptDecidesWhetherAPushWasOnlyGivenUpOnAndATombstoneRemovesIt() {
        ReceiptBuckets buckets = new ReceiptBuckets(RETENTION, HOUR);
        buckets.open(0);
        String pushId = id(9);
        buckets.add(0, key(pushId), T0, true, T0);
        assertThat(buckets.onlyFailed(key(pushId))).isTrue();
        // Delivered after a replay, an hour later (another bucket): no longer only failed.
        buckets.add(0, key(pushId), T0 + HOUR, false, T0 + HOUR);
        assertThat(buckets.onlyFailed(key(pushId))).isFalse();
        assertThat(buckets.contains(key(pushId))).isTrue();
        buckets.add(0, key("bare-failed"), T0 + HOUR, true, T0 + HOUR);
        assertThat(buckets.onlyFailed(key("bare-failed"))).isTrue();
        buckets.remove(0, key(pushId));
        buckets.remove(0, key("bare-failed"));
        assertThat(buckets.contains(key(pushId))).isFalse();
        assertThat(buckets.onlyFailed(key("bare-failed"))).isFalse();
        // A FAILED mark expires with its bucket.
        buckets.add(0, key(id(10)), T0 + 2 * HOUR, true, T0 + 2 * HOUR);
        buckets.expire(T0 + 3 * HOUR + RETENTION);
        assertThat(buckets.onlyFailed(key(id(10)))).isFalse();
        assertThat(buckets.size()).isZero();
    }

    @Test
    void receiptsArrivingOutOfTimeOrderGoToTheirOwnBuckets() {
        ReceiptBuckets buckets = new ReceiptBuckets(RETENTION, HOUR);
        buckets.open(0);
        long now = T0 + 5 * HOUR;
        int n = 0;
        for (long at : List.of(T0 + 4 * HOUR, T0 + HOUR, T0 + 3 * HOUR, T0 + HOUR + 5, T0 + 9 * HOUR)) {
            buckets.add(0, key(id(n++)), at, false, now);
        }
        assertThat(buckets.bucketStarts()).containsExactly(T0 + HOUR, T0 + 3 * HOUR, T0 + 4 * HOUR, T0 + 9 * HOUR);
        assertThat(buckets.size()).isEqualTo(5);
        assertThat(buckets.expire(T0 + 2 * HOUR + RETENTION)).isEqualTo(2);
    }

    /**
     * Bytes per held receipt: 7 hourly buckets of one partition filled with push ids (as a fanout would), the tables'
     * exact size divided by the receipts. Printed, not asserted beyond a loose bound: it is a figure for the README.
     */
    @Test
    void bytesPerReceipt() {
        int perHour = 100_000;
        ReceiptBuckets buckets = new ReceiptBuckets(RETENTION, HOUR);
        buckets.open(0);
        long now = T0 + RETENTION;
        java.util.Random random = new java.util.Random(3);
        for (int hour = 0; hour < 8; hour++) {
            for (int i = 0; i < perHour; i++) {
                // Random version-3-shaped UUIDs: what PushIds makes, without the MD5 of each (seconds on a busy machine).
                String pushId = new java.util.UUID(random.nextLong() & ~0xF000L | 0x3000L, random.nextLong()).toString();
                buckets.add(0, key(pushId), T0 + hour * HOUR + i, false, now);
            }
        }
        long held = buckets.size();
        double perReceipt = (double) buckets.bytes() / held;
        // Trimmed buckets: 18 bytes a slot at 3/4 load, 24 bytes a receipt; the newest is still growing (24 to 48).
        System.out.printf("receipts: %,d held in %d hourly buckets, %,d bytes, %.1f bytes per receipt "
                + "(a ConcurrentHashMap.newKeySet of 36-character Strings: about 100-150)%n", held,
                buckets.bucketStarts().size(), buckets.bytes(), perReceipt);
        assertThat(held).isEqualTo(8L * perHour);
        assertThat(perReceipt).isBetween(18.0, 48.0);
    }
}

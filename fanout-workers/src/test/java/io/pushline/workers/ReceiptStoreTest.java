package io.pushline.workers;

import io.pushline.contracts.Keys;
import io.pushline.contracts.PushIds;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Where a receipt goes and how its key is read; no I/O. */
class ReceiptStoreTest {

    @Test
    void aReceiptGoesToThePartitionKafkasDefaultPartitionerPicksForTheTasksUserIdKey() {
        Random random = new Random(42);
        try (StringSerializer serializer = new StringSerializer()) {
            for (int partitions : new int[] {1, 2, 3, 7, 12, 64, 1000}) {
                for (int i = 0; i < 2_000; i++) {
                    String userId = i % 3 == 0 ? "user-" + i : i % 3 == 1 ? UUID.randomUUID().toString()
                            : "u" + Long.toString(random.nextLong(), 36) + "@ex.ample:é";
                    int expected = BuiltInPartitioner.partitionForKey(serializer.serialize("pushline.push.bulk", userId), partitions);
                    assertThat(ReceiptStore.partitionOf(userId, partitions)).as("%s on %d partitions", userId, partitions)
                            .isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void aCompoundKeyAndAnOldBarePushIdKeyBothNameThePush() {
        String pushId = PushIds.pushId("urn:pushline:test", UUID.randomUUID().toString(), "token-1");
        assertThat(ReceiptStore.pushIdOf(Keys.compound("user-1", pushId))).isEqualTo(pushId);
        assertThat(ReceiptStore.pushIdOf(pushId)).as("written by the previous version").isEqualTo(pushId);
        assertThat(ReceiptStore.pushIdOf(null)).isNull();
    }
}

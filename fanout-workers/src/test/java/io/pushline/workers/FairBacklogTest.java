package io.pushline.workers;

import io.pushline.contracts.PushTask;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FairBacklogTest {
    private long offset;

    private ConsumerRecord<String, byte[]> record(String app, int partition) {
        ConsumerRecord<String, byte[]> r = new ConsumerRecord<>("pushline.push.bulk", partition, offset++, "user", new byte[0]);
        if (app != null) {
            r.headers().add(PushTask.APP_HEADER, app.getBytes(StandardCharsets.UTF_8));
        }
        return r;
    }

    private static Map<String, Integer> take(FairBacklog backlog, int n) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(FairBacklog.appOf(backlog.poll()), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void appsAreServedInProportionToTheirWeightsThoughOneAppsTasksWereReadFirst() {
        FairBacklog backlog = new FairBacklog(app -> app.equals("small") ? 3 : 1);
        for (int i = 0; i < 1_000; i++) {
            backlog.add(record("big", i % 6));   // the big app's tasks were read first, all of them
        }
        for (int i = 0; i < 300; i++) {
            backlog.add(record("small", i % 6));
        }
        assertThat(take(backlog, 400)).as("weights 1 and 3").isEqualTo(Map.of("big", 100, "small", 300));
        assertThat(take(backlog, 100)).as("small has no more: big alone gets every turn").isEqualTo(Map.of("big", 100));
        assertThat(backlog.size()).isEqualTo(800);
        assertThat(backlog.apps()).isEqualTo(1);
    }

    @Test
    void aQuietAppLosesNothingAndKeepsNoCredit() {
        FairBacklog backlog = new FairBacklog(app -> 1);
        for (int i = 0; i < 10; i++) {
            backlog.add(record("a", 0));
        }
        assertThat(take(backlog, 5)).isEqualTo(Map.of("a", 5));
        backlog.add(record("b", 0));
        backlog.add(record("b", 0));
        // b's first record goes at the next turn, not after a's remaining five.
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            order.add(FairBacklog.appOf(backlog.poll()));
        }
        assertThat(order).containsExactly("a", "b", "a", "b");
        assertThat(backlog.apps()).isEqualTo(1);
    }

    @Test
    void withinAnAppRecordsKeepTheirReadOrderAndTasksWithoutTheHeaderAreTheDefaultApps() {
        FairBacklog backlog = new FairBacklog(app -> app.equals(FairBacklog.DEFAULT_APP) ? 2 : 1);
        List<ConsumerRecord<String, byte[]>> ofX = new ArrayList<>();
        List<ConsumerRecord<String, byte[]>> ofDefault = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            ConsumerRecord<String, byte[]> x = record("x", i % 3);
            ConsumerRecord<String, byte[]> d = record(null, i % 3);
            ofX.add(x);
            ofDefault.add(d);
            backlog.add(x);
            backlog.add(d);
        }
        List<ConsumerRecord<String, byte[]>> gotX = new ArrayList<>();
        List<ConsumerRecord<String, byte[]>> gotDefault = new ArrayList<>();
        ConsumerRecord<String, byte[]> r;
        while ((r = backlog.poll()) != null) {
            assertThat(backlog.lastApp()).as("the app of the record just polled").isEqualTo(FairBacklog.appOf(r));
            (FairBacklog.appOf(r).equals("x") ? gotX : gotDefault).add(r);
        }
        assertThat(gotX).containsExactlyElementsOf(ofX);
        assertThat(gotDefault).containsExactlyElementsOf(ofDefault);
        assertThat(backlog.isEmpty()).isTrue();
    }

    @Test
    void removingARevokedPartitionsRecordsKeepsTheCountsRight() {
        FairBacklog backlog = new FairBacklog(app -> 1);
        for (int i = 0; i < 12; i++) {
            backlog.add(record(i % 2 == 0 ? "a" : "b", i % 3));
        }
        backlog.add(record("c", 1));
        backlog.removeIf(r -> r.partition() == 1);
        assertThat(backlog.size()).isEqualTo(8);
        assertThat(backlog.apps()).as("c had records of partition 1 only").isEqualTo(2);
        List<Integer> partitions = new ArrayList<>();
        backlog.forEach(r -> partitions.add(r.partition()));
        assertThat(partitions).hasSize(8).doesNotContain(1);
        backlog.clear();
        assertThat(backlog.poll()).isNull();
        assertThat(backlog.size()).isZero();
    }
}

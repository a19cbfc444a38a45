package io.pushline.workers;

import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.function.Predicate;

/** Which assigned partitions the poll loop keeps paused: a pure rule, applied by the worker on its poll thread. */
final class Pauses {
    private Pauses() {
    }

    /**
     * Read ahead to the bound (records wait in the backlog): pause everything. Otherwise pause only the retry partitions whose
     * head record is not due yet, and every retry partition while the retry records held in memory are at their bound;
     * resume the rest. Partitions whose receipts are not restored yet stay paused whatever the demand.
     *
     * @param assignment     the consumer's assignment
     * @param restored       whether the receipts of a partition number are restored
     * @param backlogFull    whether the records read ahead are at their bound (then nothing more is read)
     * @param retryTopic     whether a topic is one of the lane's retry topics
     * @param retriesFull    whether the retry records held in memory are at their bound
     * @param holdsRetry     whether a retry record of the partition waits in memory (its head is not due yet)
     * @return the partitions to keep paused; every other assigned partition is to be resumed
     */
    static Set<TopicPartition> wanted(Collection<TopicPartition> assignment, IntPredicate restored, boolean backlogFull,
                                      Predicate<String> retryTopic, boolean retriesFull, Predicate<TopicPartition> holdsRetry) {
        Set<TopicPartition> wanted = new HashSet<>();
        for (TopicPartition partition : assignment) {
            if (!restored.test(partition.partition())) {
                wanted.add(partition);
            }
        }
        if (backlogFull) {
            wanted.addAll(assignment);
        } else {
            for (TopicPartition partition : assignment) {
                if (retryTopic.test(partition.topic()) && (retriesFull || holdsRetry.test(partition))) {
                    wanted.add(partition);
                }
            }
        }
        return wanted;
    }
}

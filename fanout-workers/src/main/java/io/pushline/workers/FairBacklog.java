package io.pushline.workers;

import io.pushline.contracts.PushTask;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * The records a worker has read but not yet dispatched, one queue per app, served by weighted round robin: an app of
 * weight {@code w} has up to {@code w} records dispatched per turn (deficit round robin with a cost of one per push,
 * which is what a push costs the lane's in-flight window). Within an app records keep the order they were read in. An
 * app with nothing waiting has no queue and no credit: it loses nothing by having been quiet, and an app alone is
 * served every turn. Memory is the records held (at most the worker's read-ahead) plus one small queue per app that
 * has records waiting.
 *
 * <p>The app is the record's {@link PushTask#APP_HEADER} (absent: the default app), read without decoding the task.
 * Poll thread only.
 */
final class FairBacklog {
    static final String DEFAULT_APP = "default";

    private static final class AppQueue {
        final String app;
        final int weight;
        final ArrayDeque<ConsumerRecord<String, byte[]>> records = new ArrayDeque<>();
        int credit;

        AppQueue(String app, int weight) {
            this.app = app;
            this.weight = weight;
        }
    }

    private final ToIntFunction<String> weight;
    private final Map<String, AppQueue> byApp = new HashMap<>();
    /** Apps with records waiting, in turn order; the head's turn is running while it has credit. */
    private final ArrayDeque<AppQueue> turns = new ArrayDeque<>();
    private int size;
    /** The app of the record {@link #poll} returned last. */
    private String lastApp;

    FairBacklog(ToIntFunction<String> weight) {
        this.weight = weight;
    }

    static String appOf(ConsumerRecord<String, byte[]> record) {
        Header header = record.headers().lastHeader(PushTask.APP_HEADER);
        return header == null || header.value() == null || header.value().length == 0 ? DEFAULT_APP
                : new String(header.value(), StandardCharsets.UTF_8);
    }

    void add(ConsumerRecord<String, byte[]> record) {
        String app = appOf(record);
        AppQueue queue = byApp.get(app);
        if (queue == null) {
            queue = new AppQueue(app, Math.max(1, weight.applyAsInt(app)));
            byApp.put(app, queue);
            turns.addLast(queue);
        }
        queue.records.addLast(record);
        size++;
    }

    /** The next record to dispatch, or null if none waits. */
    ConsumerRecord<String, byte[]> poll() {
        AppQueue queue = turns.peekFirst();
        if (queue == null) {
            return null;
        }
        if (queue.credit == 0) {
            queue.credit = queue.weight;   // its turn begins
        }
        ConsumerRecord<String, byte[]> record = queue.records.pollFirst();
        lastApp = queue.app;
        queue.credit--;
        size--;
        if (queue.records.isEmpty()) {
            turns.pollFirst();
            byApp.remove(queue.app);
        } else if (queue.credit == 0) {
            turns.addLast(turns.pollFirst());
        }
        return record;
    }

    /** The app of the record {@link #poll} returned last (read from its header when it was added). */
    String lastApp() {
        return lastApp;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** Apps with records waiting. */
    int apps() {
        return byApp.size();
    }

    void removeIf(Predicate<ConsumerRecord<String, byte[]>> filter) {
        for (Iterator<AppQueue> it = turns.iterator(); it.hasNext(); ) {
            AppQueue queue = it.next();
            int before = queue.records.size();
            queue.records.removeIf(filter);
            size -= before - queue.records.size();
            if (queue.records.isEmpty()) {
                it.remove();
                byApp.remove(queue.app);
            }
        }
    }

    void clear() {
        turns.clear();
        byApp.clear();
        size = 0;
    }

    void forEach(Consumer<ConsumerRecord<String, byte[]>> action) {
        for (AppQueue queue : turns) {
            queue.records.forEach(action);
        }
    }
}

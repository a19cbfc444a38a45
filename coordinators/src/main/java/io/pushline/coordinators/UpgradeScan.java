package io.pushline.coordinators;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * Once per task, for state written by a version without expiries: walks the journal and then the facts store, and gives
 * a time to what that version left without one. Unfinished coordinators go to {@code unfinished} (the processor indexes
 * them for bans and schedules a parked one's retention); windows and history decisions get their expiry
 * ({@link Facts#scheduleExpiryOf}). Everything it schedules is idempotent, so entries written since the upgrade, which
 * have their times already, may be seen again.
 *
 * <p>Not a periodic scan: one page per wake-up ({@value #PAGE} entries), the cursor kept in the facts store so that a
 * restart resumes it, and a mark when done, after which it never runs again on this task's state. A fresh deployment's
 * scan finds nothing and is done at its first page.
 *
 * <p>Not thread-safe: one per task, used from its stream thread.
 */
final class UpgradeScan {
    private static final Logger log = LoggerFactory.getLogger(UpgradeScan.class);
    private static final String DONE = "upgrade|expiries-v1";
    private static final String CURSOR = "upgrade|expiries-v1-cursor";
    private static final int PAGE = 1_000;
    /** Cursor values: which store is being walked, then the last key done there. */
    private static final String IN_JOURNAL = "journal|";
    private static final String IN_FACTS = "facts|";

    private final KeyValueStore<String, byte[]> journal;
    private final KeyValueStore<String, byte[]> facts;
    private final JournalCodec codec;
    private final Facts view;
    private final Duration retention;
    private final Consumer<Coordinator> unfinished;

    UpgradeScan(KeyValueStore<String, byte[]> journal, KeyValueStore<String, byte[]> facts, JournalCodec codec, Facts view,
                Duration retention, Consumer<Coordinator> unfinished) {
        this.journal = journal;
        this.facts = facts;
        this.codec = codec;
        this.view = view;
        this.retention = retention;
        this.unfinished = unfinished;
    }

    /** Whether this task's state still needs the scan. */
    boolean pending() {
        return facts.get(DONE) == null;
    }

    /** Scans one page; returns true once the whole scan is done (and marked so). */
    boolean page(Instant now) {
        byte[] stored = facts.get(CURSOR);
        String cursor = stored == null ? IN_JOURNAL : new String(stored, StandardCharsets.UTF_8);
        boolean inJournal = cursor.startsWith(IN_JOURNAL);
        String after = cursor.substring(inJournal ? IN_JOURNAL.length() : IN_FACTS.length());
        String last = null;
        int seen = 0;
        try (KeyValueIterator<String, byte[]> it = (inJournal ? journal : facts).range(after.isEmpty() ? null : after, null)) {
            while (it.hasNext() && seen < PAGE) {
                KeyValue<String, byte[]> e = it.next();
                if (e.key.equals(after)) {
                    continue;
                }
                seen++;
                last = e.key;
                if (inJournal) {
                    journalEntry(e);
                } else if (!e.key.startsWith("upgrade|")) {
                    factsEntry(e, now);
                }
            }
        }
        if (seen == PAGE) {
            facts.put(CURSOR, ((inJournal ? IN_JOURNAL : IN_FACTS) + last).getBytes(StandardCharsets.UTF_8));
            return false;
        }
        if (inJournal) {
            facts.put(CURSOR, IN_FACTS.getBytes(StandardCharsets.UTF_8));
            return false;
        }
        facts.delete(CURSOR);
        facts.put(DONE, now.toString().getBytes(StandardCharsets.UTF_8));
        log.info("coordinators state scanned once for entries without an expiry; done");
        return true;
    }

    private void journalEntry(KeyValue<String, byte[]> e) {
        Coordinator c;
        try {
            c = codec.decode(e.value);
        } catch (RuntimeException unreadable) {
            log.error("journal of coordinator {} is unreadable; left in place for inspection: {}", e.key, unreadable.toString());
            return;
        }
        if (!c.isTerminal()) {
            unfinished.accept(c);
        }
    }

    private void factsEntry(KeyValue<String, byte[]> e, Instant now) {
        try {
            view.scheduleExpiryOf(e.key, e.value, now, retention);
        } catch (RuntimeException unreadable) {
            log.error("coordinator fact {} is unreadable; left in place: {}", e.key, unreadable.toString());
        }
    }
}

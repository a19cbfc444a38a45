package io.pushline.pipeline;

import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.TaskMigratedException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;

import static org.assertj.core.api.Assertions.assertThat;

/** What the processing exception handler counts as the record's fault, and what its detail keeps. */
class PoisonRecordHandlerTest {
    @Test
    void kafkasOwnErrorsAreNeverTheRecords() {
        assertThat(PoisonRecordHandler.notTheRecords(new TimeoutException("expired"))).isTrue();
        assertThat(PoisonRecordHandler.notTheRecords(new TaskMigratedException("migrated"))).isTrue();
        assertThat(PoisonRecordHandler.notTheRecords(new IllegalStateException("wrapped", new ProducerFencedException("fenced")))).isTrue();

        assertThat(PoisonRecordHandler.notTheRecords(new IllegalArgumentException("bad id"))).isFalse();
        assertThat(PoisonRecordHandler.notTheRecords(new UncheckedIOException("unreadable", new IOException("eof")))).isFalse();
    }

    @Test
    void theDetailNamesTheProcessorAndTheExceptionWithoutTokensOrControlCharacters() {
        String token = "f".repeat(64);
        String detail = PoisonRecordHandler.detail("device-registry",
                new UncheckedIOException("entry of " + token + " unreadable\nat line 1", new IOException("eof")));

        assertThat(detail).isEqualTo("processor device-registry: java.io.UncheckedIOException: entry of [masked] unreadable?at line 1"
                + "; caused by java.io.IOException");
    }

    @Test
    void aLongMessageIsCut() {
        String detail = PoisonRecordHandler.detail("router", new IllegalStateException("x ".repeat(1000)));

        assertThat(detail).hasSize("processor router: java.lang.IllegalStateException: ".length() + PoisonRecordHandler.MAX_MESSAGE_CHARS + 1);
    }

    @Test
    void anExceptionWithoutMessageIsNamed() {
        assertThat(PoisonRecordHandler.detail("coordinators", new NullPointerException()))
                .isEqualTo("processor coordinators: java.lang.NullPointerException");
    }
}

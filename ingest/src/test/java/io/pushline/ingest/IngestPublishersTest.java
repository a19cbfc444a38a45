package io.pushline.ingest;

import io.pushline.contracts.EventType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Publishers}: the file format, token checks, permissions and the rate limiter (time injected); no I/O. */
class IngestPublishersTest {
    private static final String TOKEN = "likes-token-0123456789";
    private final AtomicLong nanos = new AtomicLong();

    private Publishers parse(String json) throws io.pushline.credentials.BearerTokens.Invalid {
        return Publishers.parse(json, nanos::get);
    }

    @Test
    void authenticatesByTokenOrItsHashAndChecksTypesAndSources() throws Exception {
        String hash = HexFormat.of().formatHex(io.pushline.credentials.BearerTokens.sha256("follows-token-0123456789"));
        Publishers publishers = parse("{\"publishers\":[{\"name\":\"likes\",\"token\":\"" + TOKEN + "\",\"types\":[\"io.pushline.like.created.v1\"],"
                + "\"sourcePrefixes\":[\"urn:pushline:service:likes\"]},{\"name\":\"follows\",\"tokenSha256\":\"" + hash.toUpperCase()
                + "\",\"types\":[\"*\"],\"eventsPerSecond\":0}]}");
        assertThat(publishers.authenticate(TOKEN)).hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("likes"));
        assertThat(publishers.authenticate("follows-token-0123456789")).hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("follows"));
        assertThat(publishers.authenticate(TOKEN + "x")).isEmpty();
        assertThat(publishers.authenticate("")).isEmpty();

        Publishers.Publisher likes = publishers.authenticate(TOKEN).orElseThrow();
        assertThat(likes.refusal(EventType.LIKE_CREATED, "urn:pushline:service:likes")).isNull();
        assertThat(likes.refusal(EventType.LIKE_REMOVED, "urn:pushline:service:likes")).contains("may not publish io.pushline.like.removed.v1");
        assertThat(likes.refusal(EventType.LIKE_CREATED, "urn:other")).contains("sources starting with urn:pushline:service:likes");
        assertThat(likes.refusal(EventType.PUSH_TASK, "urn:pushline:service:likes")).contains("written only by Pushline");
        assertThat(likes.toString()).doesNotContain(TOKEN);
        Publishers.Publisher follows = publishers.authenticate("follows-token-0123456789").orElseThrow();
        assertThat(follows.refusal(EventType.PROFILE_BANNED, "anything")).isNull();
        assertThat(follows.refusal(EventType.NOTIFICATION_UPDATED, "anything")).isNotNull();
        assertThat(follows.limit()).isNull();
    }

    @Test
    void badFilesAreRefusedNamingTheFieldAndNeverTheToken() {
        String secret = "a-secret-token-that-must-not-leak";
        assertThatThrownBy(() -> parse("{\"publishers\":[{\"name\":\"a\",\"token\":\"" + secret + "\",\"types\":[\"io.pushline.push.task.v1\"]}]}"))
                .hasMessageContaining("publishers[0] (a).types[0]").hasMessageContaining("written only by Pushline")
                .hasMessageNotContaining(secret);
        assertThatThrownBy(() -> parse("{\"publishers\":[{\"name\":\"a\",\"token\":\"short\",\"types\":[\"*\"]}]}"))
                .hasMessageContaining("publishers[0] (a).token").hasMessageNotContaining("short\"");
        assertThatThrownBy(() -> parse("{\"publishers\":[{\"name\":\"a\",\"token\":\"" + secret + "\",\"tokenSha256\":\"ab\",\"types\":[\"*\"]}]}"))
                .hasMessageContaining("exactly one of token and tokenSha256").hasMessageNotContaining(secret);
        assertThatThrownBy(() -> parse("{\"publishers\":[{\"name\":\"a\",\"token\":\"" + secret + "\",\"types\":[\"*\"]},"
                + "{\"name\":\"b\",\"token\":\"" + secret + "\",\"types\":[\"*\"]}]}"))
                .hasMessageContaining("same token as 'a'").hasMessageNotContaining(secret);
        assertThatThrownBy(() -> parse("{\"publishers\":[{\"name\":\"a\",\"token\":\"" + secret + "\"")).hasMessageContaining("not well-formed JSON")
                .hasMessageNotContaining(secret);
        assertThatThrownBy(() -> parse("{\"publishers\":[{\"name\":\"a\",\"token\":\"" + secret + "\",\"types\":[\"*\"],\"tokens\":1}]}"))
                .hasMessageContaining("unknown field \"tokens\"");
        assertThatThrownBy(() -> parse("{\"publishers\":[{\"name\":\"a b\",\"token\":\"" + secret + "\",\"types\":[\"*\"]}]}"))
                .hasMessageContaining("publishers[0].name");
        assertThatThrownBy(() -> parse("{\"publishers\":[]}")).hasMessageContaining("non-empty array");
        assertThatThrownBy(() -> parse("{\"publishers\":[{\"name\":\"a\",\"token\":\"" + secret + "\",\"types\":[\"*\"],\"eventsPerSecond\":-1}]}"))
                .hasMessageContaining("eventsPerSecond");
    }

    @Test
    void theTokenBucketRefillsWithTheInjectedClockAndSaysHowLongToWait() {
        Publishers.TokenBucket bucket = new Publishers.TokenBucket(2, 2, nanos::get);
        assertThat(bucket.tryAcquire(1)).isZero();
        assertThat(bucket.tryAcquire(1)).isZero();
        assertThat(bucket.tryAcquire(1)).isEqualTo(1);
        nanos.addAndGet(Duration.ofMillis(500).toNanos());
        assertThat(bucket.tryAcquire(1)).isZero();
        // A batch larger than the capacity passes when the bucket is full, and leaves it in debt.
        nanos.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(bucket.tryAcquire(6)).isZero();
        assertThat(bucket.tryAcquire(1)).isEqualTo(3);
        nanos.addAndGet(Duration.ofSeconds(3).toNanos());
        assertThat(bucket.tryAcquire(1)).isZero();
    }

    @Test
    void theDedupWindowForgetsByTimeBySizeAndOnFailure() {
        DedupWindow window = new DedupWindow(Duration.ofSeconds(10), 2, nanos::get);
        DedupWindow.Claim first = window.claim("/s", "a");
        assertThat(first.first()).isTrue();
        DedupWindow.Claim again = window.claim("/s", "a");
        assertThat(again.first()).isFalse();
        assertThat(again.outcome()).isSameAs(first.outcome());
        first.outcome().complete(null);   // acknowledged: a send still in flight is awaited even once forgotten for size
        assertThat(window.claim("/other", "a").first()).as("keyed by source and id").isTrue();
        assertThat(window.claim("/s", "b").first()).isTrue();
        assertThat(window.size()).isEqualTo(2);
        assertThat(window.claim("/s", "a").first()).as("the oldest was forgotten for size").isTrue();

        DedupWindow.Claim failing = window.claim("/s", "c");
        failing.outcome().completeExceptionally(new IllegalStateException("broker down"));
        assertThat(window.claim("/s", "c").first()).as("a failed send is forgotten").isTrue();

        nanos.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(window.size()).isZero();
    }
}

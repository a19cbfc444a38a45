package io.pushline.loadtests;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Topics;
import io.pushline.loadtests.IngestScenario.Phase;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static io.pushline.loadtests.IngestScenario.SOURCE;

/** The run's events: ids {@code RUN-LETTER-SEQ}, alternately a follow and a like. */
final class IngestEvents {
    final String run;
    private final CloudEventCodec codec = new CloudEventCodec();
    /** Whether the hand-built structured JSON is checked to carry the codec's exact data bytes (else the codec builds each). */
    final boolean templated;

    IngestEvents(String run) {
        this.run = run;
        boolean same = true;
        for (long seq = 0; seq < 4; seq++) {
            byte[] viaCodec = codec.toRecord(Topics.EVENTS, Envelope.of("x", SOURCE, Instant.now(), data(seq))).value();
            same &= new String(viaCodec, StandardCharsets.UTF_8).equals(dataJson(seq));
        }
        this.templated = same;
    }

    String id(Phase phase, long seq) {
        return run + "-" + phase.letter + "-" + seq;
    }

    static EventData data(long seq) {
        long a = seq % 100_000;
        long b = (seq * 7919 + 1) % 100_000;
        return seq % 2 == 0 ? new FollowCreated("user-" + a, "user-" + b)
                : new LikeCreated("user-" + a, "post-" + seq, "user-" + b);
    }

    /** The data exactly as the codec writes it (checked in the constructor). */
    static String dataJson(long seq) {
        long a = seq % 100_000;
        long b = (seq * 7919 + 1) % 100_000;
        return seq % 2 == 0 ? "{\"followerId\":\"user-" + a + "\",\"followeeId\":\"user-" + b + "\"}"
                : "{\"actorId\":\"user-" + a + "\",\"postId\":\"post-" + seq + "\",\"postOwnerId\":\"user-" + b + "\"}";
    }

    ProducerRecord<String, byte[]> record(Phase phase, long seq) {
        return codec.toRecord(Topics.EVENTS, Envelope.of(id(phase, seq), SOURCE, Instant.now(), data(seq)));
    }

    /** One event in structured mode. */
    void structured(StringBuilder out, Phase phase, long seq, String time) {
        EventData data = data(seq);
        String json = templated ? dataJson(seq)
                : new String(codec.toRecord(Topics.EVENTS, Envelope.of(id(phase, seq), SOURCE, Instant.now(), data)).value(),
                StandardCharsets.UTF_8);
        out.append("{\"specversion\":\"1.0\",\"id\":\"").append(id(phase, seq)).append("\",\"source\":\"").append(SOURCE)
                .append("\",\"type\":\"").append(data.type().ceType())
                .append("\",\"time\":\"").append(time).append("\",\"datacontenttype\":\"application/json\",\"data\":")
                .append(json).append('}');
    }

    /** A request body: one event, or a batch of {@code count} from {@code seq}. */
    byte[] body(Phase phase, long seq, int count, boolean batch) {
        StringBuilder out = new StringBuilder(batch ? 256 * count : 256);
        String time = Instant.now().toString();
        if (!batch) {
            structured(out, phase, seq, time);
        } else {
            out.append('[');
            for (int i = 0; i < count; i++) {
                if (i > 0) {
                    out.append(',');
                }
                structured(out, phase, seq + i, time);
            }
            out.append(']');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}

package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** One codec shared by many threads gives the same answers as one thread. */
class CodecConcurrencyTest {

  @Test
  void aSharedCodecIsThreadSafe() throws Exception {
    CloudEventCodec codec = new CloudEventCodec();
    List<EventData> samples = new ArrayList<>(Samples.all().values());
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<Integer>> tasks = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int seed = t;
        tasks.add(() -> {
          int ok = 0;
          for (int i = 0; i < 300; i++) {
            Envelope<EventData> envelope = Samples.envelope(samples.get((seed + i) % samples.size()));
            ProducerRecord<String, byte[]> record = codec.toRecord(Topics.EVENTS, envelope);
            if (codec.decode(record.headers(), record.value()).equals(new Decoded.Ok(envelope))) {
              ok++;
            }
            assertThat(codec.decode(Samples.headers(envelope.type().ceType()), Samples.utf8("{\"x\":1}")))
                .isInstanceOf(Decoded.Invalid.class);
          }
          return ok;
        });
      }
      for (Future<Integer> f : pool.invokeAll(tasks, 60, TimeUnit.SECONDS)) {
        assertThat(f.get()).isEqualTo(300);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}

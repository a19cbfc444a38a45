package io.pushline.loadtests.jmh;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.EventType;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link CloudEventCodec} encoding and decoding one event of each contract type: what the router pays per record
 * on {@code pushline.events} and the workers per push task.
 *
 * <p>Baseline, in the same run: Jackson alone writing and reading the same data record
 * ({@code *BaselineJacksonOnly}). The difference is the price of the CloudEvents envelope and of JSON Schema
 * validation, which the codec does on both paths.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class CodecBenchmark {

    /** Every {@link EventType}: JMH fills an enum {@code @Param} without values with all of its constants. */
    @Param
    public EventType type;

    private final CloudEventCodec codec = new CloudEventCodec();
    private final ObjectMapper jackson = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();
    private Envelope<EventData> envelope;
    private RecordHeaders headers;
    private byte[] value;

    @Setup
    public void setUp() {
        envelope = ContractSamples.envelope(type);
        headers = new RecordHeaders();
        value = codec.encode(envelope, headers);
        headers.setReadOnly(); // as on a consumed record; decoding must not write to it
        Decoded decoded = codec.decode(headers, value);
        if (!(decoded instanceof Decoded.Ok ok) || !ok.envelope().equals(envelope)) {
            throw new IllegalStateException("sample " + type + " does not round-trip: " + decoded);
        }
    }

    @Benchmark
    public byte[] encode() {
        return codec.encode(envelope, new RecordHeaders());
    }

    @Benchmark
    public Decoded decode() {
        return codec.decode(headers, value);
    }

    @Benchmark
    public byte[] encodeBaselineJacksonOnly() throws IOException {
        return jackson.writeValueAsBytes(envelope.data());
    }

    @Benchmark
    public Object decodeBaselineJacksonOnly() throws IOException {
        return jackson.readValue(value, type.dataClass());
    }
}

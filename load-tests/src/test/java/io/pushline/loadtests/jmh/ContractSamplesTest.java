package io.pushline.loadtests.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.EventType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ContractSamplesTest {

    /** CodecBenchmark's @Param covers every EventType, so every type needs a sample that round-trips. */
    @ParameterizedTest
    @EnumSource(EventType.class)
    void everyTypeHasASampleTheCodecRoundTrips(EventType type) throws Exception {
        CodecBenchmark benchmark = new CodecBenchmark();
        benchmark.type = type;

        benchmark.setUp(); // throws if the sample does not round-trip

        assertThat(benchmark.encode()).isNotEmpty();
        assertThat(benchmark.decode()).isInstanceOf(Decoded.Ok.class);
        assertThat(benchmark.encodeBaselineJacksonOnly()).isNotEmpty();
        assertThat(benchmark.decodeBaselineJacksonOnly()).isEqualTo(ContractSamples.envelope(type).data());
        assertThat(ContractSamples.envelope(type).type()).isEqualTo(type);
    }

    @Test
    void samplesAreWithinTheCodecsLimit() {
        CloudEventCodec codec = new CloudEventCodec();
        for (EventType type : EventType.values()) {
            assertThat(codec.toRecord("t", ContractSamples.envelope(type)).value().length)
                    .isLessThan(codec.maxEventBytes());
        }
    }
}

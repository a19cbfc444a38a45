package io.pushline.pipeline;

import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** When a pipeline can never go on: a failed worker, or a Streams application that will not run again. */
class PipelineFatalTest {
    private static final List<Optional<String>> HEALTHY_WORKERS = List.of(Optional.empty(), Optional.empty());

    @Test
    void aFailedWorkerIsFatalAndNamed() {
        String fatal = Pipeline.fatal(State.RUNNING, State.RUNNING,
                List.of(Optional.empty(), Optional.of("bulk worker: unexpected IllegalStateException: boom")));

        assertThat(fatal).isEqualTo("the bulk worker: unexpected IllegalStateException: boom");
    }

    @Test
    void aStreamsApplicationThatWillNotRunAgainIsFatal() {
        EnumSet<State> dead = EnumSet.of(State.PENDING_ERROR, State.ERROR, State.PENDING_SHUTDOWN, State.NOT_RUNNING);
        for (State state : dead) {
            assertThat(Pipeline.fatal(state, State.RUNNING, HEALTHY_WORKERS)).isEqualTo("the topology is " + state);
            assertThat(Pipeline.fatal(State.RUNNING, state, HEALTHY_WORKERS)).isEqualTo("the coordinators are " + state);
        }
        EnumSet<State> alive = EnumSet.complementOf(dead);
        assertThat(alive).isNotEmpty();
        for (State state : alive) {
            // Starting or rebalancing is not ready, but not fatal: it comes back by itself.
            assertThat(Pipeline.fatal(state, state, HEALTHY_WORKERS)).as(state.name()).isNull();
        }
    }

    @Test
    void rolesThisProcessDoesNotRunAreNeverFatal() {
        assertThat(Pipeline.fatal(null, null, List.of())).isNull();
        assertThat(Pipeline.fatal(null, null, HEALTHY_WORKERS)).isNull();
    }
}

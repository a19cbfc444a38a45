package io.pushline.pipeline;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProcessRoleTest {

    @Test
    void allIsEveryPipelineRoleAndNoHttpFront() {
        assertThat(ProcessRole.parse("all")).containsExactlyInAnyOrder(ProcessRole.ROUTER, ProcessRole.COORDINATORS, ProcessRole.WORKERS);
        assertThat(ProcessRole.pipelineRoles()).allMatch(ProcessRole::pipeline).hasSize(3);
        assertThat(ProcessRole.INGEST.pipeline()).isFalse();
        assertThat(ProcessRole.ADMIN.pipeline()).isFalse();
    }

    @Test
    void listsAreCaseAndSpaceInsensitive() {
        assertThat(ProcessRole.parse(" Router, workers ,INGEST")).isEqualTo(EnumSet.of(ProcessRole.ROUTER, ProcessRole.WORKERS, ProcessRole.INGEST));
        assertThat(ProcessRole.parse("admin")).containsExactly(ProcessRole.ADMIN);
        assertThat(ProcessRole.parse("coordinators,coordinators")).containsExactly(ProcessRole.COORDINATORS);
    }

    @Test
    void anUnknownOrEmptyRoleIsNamed() {
        assertThatThrownBy(() -> ProcessRole.parse("routers"))
                .hasMessage("unknown role 'routers': use router, coordinators, workers, a comma-separated list of them, or all");
        assertThatThrownBy(() -> ProcessRole.parse("router,,workers")).hasMessageStartingWith("unknown role ''");
        assertThatThrownBy(() -> ProcessRole.parse("")).hasMessageStartingWith("unknown role ''");
    }
}

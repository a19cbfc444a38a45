package io.pushline.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.common.internals.Topic;
import org.junit.jupiter.api.Test;

class TestTopicsTest {

    @Test
    void namesAreUniqueAndLegalTopicNames() {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            String name = TestTopics.unique("events.v1");
            Topic.validate(name);
            assertThat(name).startsWith("events.v1-");
            names.add(name);
        }
        assertThat(names).hasSize(1_000);
    }

    @Test
    void rejectsIllegalPrefixesNamingThem() {
        assertThatThrownBy(() -> TestTopics.unique("no spaces"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'no spaces'");
        assertThatThrownBy(() -> TestTopics.unique(""))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TestTopics.unique("x".repeat(201)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

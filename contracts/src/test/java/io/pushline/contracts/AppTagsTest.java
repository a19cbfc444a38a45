package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Per-app metric tags stay bounded: the first apps are named, the rest share one tag. */
class AppTagsTest {

    @Test
    void theFirstAppsAreNamedAndLaterOnesShareOther() {
        AppTags tags = new AppTags();
        for (int i = 0; i < AppTags.MAX; i++) {
            assertThat(tags.of("app-" + i)).isEqualTo("app-" + i);
        }
        assertThat(tags.of("one-too-many")).isEqualTo(AppTags.OTHER);
        assertThat(tags.of("app-0")).as("a named app stays named").isEqualTo("app-0");
        assertThat(tags.of("one-too-many")).isEqualTo(AppTags.OTHER);
    }
}

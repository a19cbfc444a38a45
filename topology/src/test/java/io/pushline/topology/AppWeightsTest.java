package io.pushline.topology;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AppWeightsTest {
    @Test
    void parsesWeightsAndTheDefault() {
        AppWeights weights = AppWeights.parse(" big.example = 1, small.example=4 ,*=2");
        assertThat(weights.weights()).isEqualTo(Map.of("big.example", 1, "small.example", 4));
        assertThat(weights.weight("small.example")).isEqualTo(4);
        assertThat(weights.weight("other.example")).isEqualTo(2);
        assertThat(weights.weight(null)).as("posts naming no app are the default app's").isEqualTo(2);
        assertThat(AppWeights.parse("default=7").weight(null)).isEqualTo(7);
        assertThat(AppWeights.parse("")).isEqualTo(AppWeights.EQUAL);
        assertThat(AppWeights.parse(null).weight("anything")).isEqualTo(1);
    }

    @Test
    void refusesWhatItCannotReadNamingTheEntry() {
        assertThatThrownBy(() -> AppWeights.parse("big")).hasMessage("expected app=weight, got \"big\"");
        assertThatThrownBy(() -> AppWeights.parse("big=1,")).hasMessage("expected app=weight, got \"\"");
        assertThatThrownBy(() -> AppWeights.parse("=3")).hasMessage("expected app=weight, got \"=3\"");
        assertThatThrownBy(() -> AppWeights.parse("big=")).hasMessage("expected app=weight, got \"big=\"");
        assertThatThrownBy(() -> AppWeights.parse("big=two")).hasMessage("the weight of \"big\" is not a whole number: \"two\"");
        assertThatThrownBy(() -> AppWeights.parse("big=0")).hasMessage("the weight of app big must be between 1 and 1000, was 0");
        assertThatThrownBy(() -> AppWeights.parse("big=1001")).hasMessageContaining("between 1 and 1000");
        assertThatThrownBy(() -> AppWeights.parse("big=99999999999")).hasMessageContaining("not a whole number");
        assertThatThrownBy(() -> AppWeights.parse("*=0")).hasMessage("the default weight (*) must be between 1 and 1000, was 0");
        assertThatThrownBy(() -> AppWeights.parse("big=1,big=2")).hasMessage("\"big\" is given twice");
        assertThatThrownBy(() -> AppWeights.parse("b g=1")).hasMessage("an app id must be 1 to 128 of [A-Za-z0-9._:@-], was \"b g\"");
        assertThatThrownBy(() -> AppWeights.parse("x".repeat(200) + "=1")).hasMessageContaining("…");
    }
}

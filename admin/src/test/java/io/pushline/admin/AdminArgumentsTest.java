package io.pushline.admin;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The values the command line and the admin API share, with the command line's messages; time from a fixed clock. */
class AdminArgumentsTest {
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00.500Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @Test
    void durationsAsPeopleWriteThem() {
        assertThat(AdminArguments.duration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(AdminArguments.duration("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(AdminArguments.duration(" 5M ")).isEqualTo(Duration.ofMinutes(5));
        assertThat(AdminArguments.duration("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(AdminArguments.duration("pt2m")).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> AdminArguments.duration("soon")).hasMessage("'soon' is not a duration (use e.g. 90s, 5m, 1h, 7d or PT5M)");
        assertThat(AdminArguments.duration("7d")).isEqualTo(Duration.ofDays(7));
        assertThatThrownBy(() -> AdminArguments.duration("3w")).hasMessage("'3w' is not a duration (use e.g. 90s, 5m, 1h, 7d or PT5M)");
        assertThatThrownBy(() -> AdminArguments.duration("0s")).hasMessage("'0s' must be a positive duration");
        assertThatThrownBy(() -> AdminArguments.duration("PT-1S")).hasMessage("'PT-1S' must be a positive duration");
    }

    @Test
    void sinceIsAnInstantOrThatLongAgo() {
        assertThat(AdminArguments.since(null, CLOCK)).isNull();
        assertThat(AdminArguments.since("2026-01-05T09:10:00.500Z", CLOCK)).isEqualTo(Instant.parse("2026-01-05T09:10:00.500Z"));
        assertThat(AdminArguments.since(" 2030-01-01T00:00:00+02:00 ", CLOCK)).isEqualTo(Instant.parse("2029-12-31T22:00:00Z"));
        assertThat(AdminArguments.since("2h", CLOCK)).isEqualTo(NOW.minus(Duration.ofHours(2)));
        assertThat(AdminArguments.since("3D", CLOCK)).isEqualTo(NOW.minus(Duration.ofDays(3)));
        assertThat(AdminArguments.since("PT90M", CLOCK)).isEqualTo(NOW.minus(Duration.ofMinutes(90)));
        for (String bad : new String[] {"yesterday", "", "0s", "0d", "-2h", "--help"}) {
            assertThatThrownBy(() -> AdminArguments.since(bad, CLOCK)).as(bad).hasMessage("--since: '" + bad + "' is neither an "
                    + "ISO-8601 instant (2026-12-01T10:00:00Z) nor a positive duration meaning that long ago (90m, 2h, 3d, PT2H)");
        }
    }

    @Test
    void boundsNameTheirOption() {
        assertThat(AdminArguments.timeout("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> AdminArguments.timeout("x")).hasMessage("--timeout: 'x' is not a duration (use e.g. 90s, 5m, 1h, 7d or PT5M)");
        assertThat(AdminArguments.waitFor("0")).isZero();
        assertThat(AdminArguments.waitFor("10m")).isEqualTo(Duration.ofMinutes(10));
        assertThatThrownBy(() -> AdminArguments.waitFor("0s")).hasMessage("--wait: '0s' must be a positive duration");
        assertThatThrownBy(() -> AdminArguments.waitFor("forever")).hasMessage("--wait: 'forever' is not a duration (use e.g. 90s, 5m, 1h, 7d or PT5M)");
        assertThatThrownBy(() -> AdminArguments.waitFor("600001ms")).hasMessage("--wait must be at most 10m, was 600001ms");
        assertThat(AdminArguments.limit(null)).isNull();
        assertThat(AdminArguments.limit(1L)).isEqualTo(1L);
        assertThatThrownBy(() -> AdminArguments.limit(0L)).hasMessage("--limit must be at least 1, was 0");
        assertThatThrownBy(() -> AdminArguments.limit(-3L)).hasMessage("--limit must be at least 1, was -3");
    }

    @Test
    void clientSettingsAddTheServersAndShortRequestBoundsToTheSecuritySettings() {
        Map<String, Object> security = Map.of("security.protocol", "SASL_SSL", "bootstrap.servers", "ignored:1");
        assertThat(AdminArguments.clients(security, "kafka-1:9093")).containsExactlyInAnyOrderEntriesOf(Map.of(
                "security.protocol", "SASL_SSL", "bootstrap.servers", "kafka-1:9093", "request.timeout.ms", 10_000,
                "default.api.timeout.ms", 20_000));
    }
}

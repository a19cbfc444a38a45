package io.pushline.contracts;

import static java.time.DayOfWeek.FRIDAY;
import static java.time.DayOfWeek.MONDAY;
import static java.time.DayOfWeek.SATURDAY;
import static java.time.DayOfWeek.SUNDAY;
import static java.time.DayOfWeek.THURSDAY;
import static java.time.DayOfWeek.TUESDAY;
import static java.time.DayOfWeek.WEDNESDAY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Quiet hours in the user's time zone, both sides of daylight-saving changes (Europe/Berlin, 2026). */
class QuietHoursTest {
  private static final List<DayOfWeek> EVERY_DAY = List.of(DayOfWeek.values());

  private static UserPreferencesUpdated prefs(String zone, UserPreferencesUpdated.QuietWindow... windows) {
    return new UserPreferencesUpdated("user-1", zone, List.of(windows), List.of(), Instant.EPOCH);
  }

  private static UserPreferencesUpdated.QuietWindow window(List<DayOfWeek> days, String start, String end) {
    return new UserPreferencesUpdated.QuietWindow(days, start, end);
  }

  private static Instant at(String instant) {
    return Instant.parse(instant);
  }

  @Test
  void anOvernightWindowEndsTheNextMorningInTheUsersZone() {
    UserPreferencesUpdated p = prefs("Europe/Berlin", window(EVERY_DAY, "22:00", "07:00"));
    // Winter (CET, UTC+1): Saturday 21 March 23:00 local is held until Sunday 07:00 local = 06:00Z.
    assertThat(p.quietUntil(at("2026-03-21T22:00:00Z"))).isEqualTo(at("2026-03-22T06:00:00Z"));
    // The start is in the window, the end is not.
    assertThat(p.quietUntil(at("2026-03-21T21:00:00Z"))).isEqualTo(at("2026-03-22T06:00:00Z"));
    assertThat(p.quietUntil(at("2026-03-22T06:00:00Z"))).isNull();
    assertThat(p.quietUntil(at("2026-03-21T20:59:59Z"))).isNull();
    // Summer (CEST, UTC+2): the same local times are an hour earlier in UTC.
    assertThat(p.quietUntil(at("2026-04-04T21:00:00Z"))).isEqualTo(at("2026-04-05T05:00:00Z"));
    assertThat(p.quietUntil(at("2026-04-05T11:00:00Z"))).isNull();
  }

  @Test
  void theSpringChangeShortensTheNightAndTheAutumnChangeLengthensIt() {
    UserPreferencesUpdated p = prefs("Europe/Berlin", window(EVERY_DAY, "22:00", "07:00"));
    // 29 March 2026, 02:00 CET → 03:00 CEST: from Saturday 22:00 CET (21:00Z) to Sunday 07:00 CEST (05:00Z), 8 h.
    Instant springHeld = at("2026-03-28T21:30:00Z");
    assertThat(p.quietUntil(springHeld)).isEqualTo(at("2026-03-29T05:00:00Z"));
    assertThat(Duration.between(at("2026-03-28T21:00:00Z"), p.quietUntil(springHeld))).isEqualTo(Duration.ofHours(8));
    // 25 October 2026, 03:00 CEST → 02:00 CET: from Saturday 22:00 CEST (20:00Z) to Sunday 07:00 CET (06:00Z), 10 h.
    Instant autumnHeld = at("2026-10-24T20:30:00Z");
    assertThat(p.quietUntil(autumnHeld)).isEqualTo(at("2026-10-25T06:00:00Z"));
    assertThat(Duration.between(at("2026-10-24T20:00:00Z"), p.quietUntil(autumnHeld))).isEqualTo(Duration.ofHours(10));
    // A push in the hour that happens twice (02:30 local, first CEST then CET) is quiet either time.
    assertThat(p.quietUntil(at("2026-10-25T00:30:00Z"))).isEqualTo(at("2026-10-25T06:00:00Z"));
    assertThat(p.quietUntil(at("2026-10-25T01:30:00Z"))).isEqualTo(at("2026-10-25T06:00:00Z"));
  }

  @Test
  void aTimeInTheSpringGapMovesLaterByTheGap() {
    // 02:30 does not exist on 29 March 2026 in Berlin: the window starts at 03:30 CEST (01:30Z).
    UserPreferencesUpdated p = prefs("Europe/Berlin", window(List.of(SUNDAY), "02:30", "06:00"));
    assertThat(p.quietUntil(at("2026-03-29T01:15:00Z"))).as("03:15 CEST, before the moved start").isNull();
    assertThat(p.quietUntil(at("2026-03-29T01:30:00Z"))).isEqualTo(at("2026-03-29T04:00:00Z"));
  }

  @Test
  void theWindowStartsOnlyOnItsDays() {
    UserPreferencesUpdated p = prefs("America/New_York",
        window(List.of(MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY), "22:00", "07:00"));
    // Friday night's window runs into Saturday morning; Saturday night has none (EST, UTC-5, in January).
    assertThat(p.quietUntil(at("2026-01-10T11:00:00Z"))).as("Saturday 06:00").isEqualTo(at("2026-01-10T12:00:00Z"));
    assertThat(p.quietUntil(at("2026-01-11T04:00:00Z"))).as("Saturday 23:00").isNull();
    assertThat(p.quietUntil(at("2026-01-13T04:00:00Z"))).as("Monday 23:00").isEqualTo(at("2026-01-13T12:00:00Z"));
  }

  @Test
  void windowsThatTouchOrOverlapAreOneQuietStretch() {
    UserPreferencesUpdated p = prefs("UTC", window(List.of(MONDAY), "20:00", "22:00"), window(List.of(MONDAY), "22:00", "23:00"),
        window(List.of(MONDAY), "22:30", "23:30"), window(List.of(SATURDAY), "10:00", "11:00"));
    assertThat(p.quietUntil(at("2026-01-05T21:00:00Z"))).isEqualTo(at("2026-01-05T23:30:00Z"));
    assertThat(prefs("UTC").quietUntil(at("2026-01-05T21:00:00Z"))).as("no windows").isNull();
    UserPreferencesUpdated allWeek = prefs("UTC", window(EVERY_DAY, "00:00", "23:59"), window(List.of(FRIDAY), "23:59", "00:00"));
    assertThat(allWeek.quietUntil(at("2026-01-05T12:00:00Z"))).as("chained, bounded by the windows' count").isNotNull();
  }

  @Test
  void badPreferencesFromAPublisherAreInvalidNamingTheProblem() {
    CloudEventCodec codec = new CloudEventCodec();
    String base = "{\"userId\":\"u\",\"timeZone\":\"ZONE\",\"quietHours\":[{\"days\":[\"MONDAY\"],\"start\":\"22:00\","
        + "\"end\":\"07:00\"}],\"mutedCategories\":[],\"updatedAt\":\"2026-12-06T12:00:00Z\"}";
    java.util.function.Function<String, Decoded> decode = json -> codec.decode(
        Samples.headers(EventType.USER_PREFERENCES_UPDATED.ceType()), Samples.utf8(json));
    assertThat(decode.apply(base.replace("ZONE", "Europe/Berlin"))).isInstanceOf(Decoded.Ok.class);
    // An offset is not a zone: the schema says so. A zone-shaped name no zone database knows: the record does.
    assertThat(((Decoded.Invalid) decode.apply(base.replace("ZONE", "+02:00"))).detail()).contains("timeZone: must match");
    Decoded unknown = decode.apply(base.replace("ZONE", "Mars/Olympus_Mons"));
    assertThat(unknown).isInstanceOf(Decoded.Invalid.class);
    assertThat(((Decoded.Invalid) unknown).reason()).isEqualTo(DeadLetterReason.SCHEMA_VIOLATION);
    assertThat(((Decoded.Invalid) unknown).detail()).isEqualTo("timeZone: cannot be bound to UserPreferencesUpdated");
    assertThat(((Decoded.Invalid) decode.apply(base.replace("\"MONDAY\"", "\"MONDAY\",\"MONDAY\"")
        .replace("ZONE", "UTC"))).detail()).contains("quietHours[0].days");
    assertThat(((Decoded.Invalid) decode.apply(base.replace("22:00", "24:00").replace("ZONE", "UTC"))).detail())
        .contains("quietHours[0].start: must match");
  }

  @Test
  void badPreferencesAreRefused() {
    assertThatThrownBy(() -> prefs("Mars/Olympus_Mons")).hasMessageContaining("IANA time zone id");
    assertThatThrownBy(() -> prefs("+02:00")).hasMessageContaining("IANA time zone id");
    assertThatThrownBy(() -> window(List.of(), "22:00", "07:00")).hasMessageContaining("1 to 7 weekdays");
    assertThatThrownBy(() -> window(List.of(MONDAY, MONDAY), "22:00", "07:00")).hasMessageContaining("none twice");
    assertThatThrownBy(() -> window(List.of(MONDAY), "22:00", "22:00")).hasMessageContaining("must differ");
    assertThatThrownBy(() -> window(List.of(MONDAY), "24:00", "07:00")).hasMessageContaining("HH:mm");
    assertThatThrownBy(() -> window(List.of(MONDAY), "7:00", "08:00")).hasMessageContaining("HH:mm");
    assertThatThrownBy(() -> new UserPreferencesUpdated("u", "UTC", List.of(), List.of("like", "like"), Instant.EPOCH))
        .hasMessageContaining("none twice");
    assertThat(new UserPreferencesUpdated("u", "UTC", List.of(), List.of("like"), Instant.EPOCH).muted("like")).isTrue();
  }

    @Test
    void storedPreferencesAreReadIgnoringFieldsALaterVersionAddsAndUnreadableOnesAreNone() {
        byte[] stored = ("{\"userId\":\"u1\",\"timeZone\":\"Europe/Berlin\",\"quietHours\":[],\"mutedCategories\":[\"like\"],"
                + "\"updatedAt\":\"2026-12-06T12:00:00Z\",\"addedLater\":true}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        UserPreferencesUpdated prefs = UserPreferencesUpdated.readStored(stored);
        assertThat(prefs.muted("like")).isTrue();
        assertThat(prefs.timeZone()).isEqualTo("Europe/Berlin");
        assertThat(UserPreferencesUpdated.readStored("{not json".getBytes(java.nio.charset.StandardCharsets.UTF_8))).isNull();
    }
}

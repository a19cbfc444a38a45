package io.pushline.contracts;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A user's delivery preferences, replacing the ones before: their time zone, their quiet hours (windows per weekday,
 * in that zone, during which pushes are held until the window ends) and the categories they muted. Kafka key:
 * {@code userId}. The latest on the user's partition wins.
 *
 * @param userId the user
 * @param timeZone an IANA time zone id, e.g. {@code Europe/Berlin} (or {@code UTC})
 * @param quietHours quiet windows (at most 14); empty for none
 * @param mutedCategories push categories the user does not want (at most 32), e.g. {@code like}, {@code timeline}
 * @param updatedAt when the user changed them
 */
public record UserPreferencesUpdated(String userId, String timeZone, List<QuietWindow> quietHours,
                                     List<String> mutedCategories, Instant updatedAt) implements EventData {

  /** Stored preferences: fields a later version adds are ignored. */
  private static final com.fasterxml.jackson.databind.ObjectReader STORED = Json.MAPPER.readerFor(UserPreferencesUpdated.class)
      .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * Preferences as a state store keeps them (the event's data as published, validated when it was stored), or null if
   * they cannot be read (a later version wrote them): the caller then pushes as if the user had none.
   */
  public static UserPreferencesUpdated readStored(byte[] data) {
    try {
      return STORED.readValue(data);
    } catch (java.io.IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * A quiet window: it starts on each of {@code days} at {@code start}, local time, and ends at {@code end} the same
   * day, or the next day when {@code end} is not after {@code start} ({@code 22:00}–{@code 07:00} ends the next
   * morning). Local times follow the zone's rules for that date: a start or end in a daylight-saving gap (02:30 on
   * the spring change in Europe) is moved later by the gap, one in an overlap (the autumn change) takes the earlier
   * offset, as {@link ZonedDateTime#of} resolves them.
   *
   * @param days the weekdays on which the window starts, none twice
   * @param start {@code HH:mm}
   * @param end {@code HH:mm}, not equal to start
   */
  public record QuietWindow(List<DayOfWeek> days, String start, String end) {
    private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm").withResolverStyle(ResolverStyle.STRICT);

    /** Rejects no days, repeated days, and times that are not {@code HH:mm} or equal. */
    public QuietWindow {
      Require.nonNull(days, "QuietWindow.days");
      if (days.isEmpty() || days.size() > 7 || EnumSet.copyOf(days).size() != days.size()) {
        throw new IllegalArgumentException("QuietWindow.days must list 1 to 7 weekdays, none twice");
      }
      days = List.copyOf(days);
      if (time(start, "QuietWindow.start").equals(time(end, "QuietWindow.end"))) {
        throw new IllegalArgumentException("QuietWindow.start and end must differ");
      }
    }

    LocalTime startTime() {
      return LocalTime.parse(start, HH_MM);
    }

    LocalTime endTime() {
      return LocalTime.parse(end, HH_MM);
    }

    private static LocalTime time(String value, String field) {
      Require.nonNull(value, field);
      try {
        return LocalTime.parse(value, HH_MM);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(field + " must be HH:mm");
      }
    }
  }

  /** Rejects null components, a zone that is not an IANA id, and more windows or categories than allowed. */
  public UserPreferencesUpdated {
    Require.nonNull(userId, "UserPreferencesUpdated.userId");
    Require.nonNull(timeZone, "UserPreferencesUpdated.timeZone");
    Require.nonNull(quietHours, "UserPreferencesUpdated.quietHours");
    Require.nonNull(mutedCategories, "UserPreferencesUpdated.mutedCategories");
    Require.nonNull(updatedAt, "UserPreferencesUpdated.updatedAt");
    zoneOf(timeZone);
    if (quietHours.size() > 14) {
      throw new IllegalArgumentException("UserPreferencesUpdated.quietHours must have at most 14 windows");
    }
    if (mutedCategories.size() > 32 || Set.copyOf(mutedCategories).size() != mutedCategories.size()) {
      throw new IllegalArgumentException("UserPreferencesUpdated.mutedCategories must have at most 32, none twice");
    }
    quietHours = List.copyOf(quietHours);
    mutedCategories = List.copyOf(mutedCategories);
  }

  @Override
  public EventType type() {
    return EventType.USER_PREFERENCES_UPDATED;
  }

  /** The user's zone. */
  public ZoneId zone() {
    return zoneOf(timeZone);
  }

  /** Whether the user muted {@code category}. */
  public boolean muted(String category) {
    return mutedCategories.contains(category);
  }

  /**
   * When the quiet hours around {@code now} end, or null if {@code now} is not in quiet hours. Windows that touch or
   * overlap (a window ending when or after the next begins) count as one: the answer is the end of the last of them.
   */
  public Instant quietUntil(Instant now) {
    ZoneId zone = zone();
    Instant until = null;
    Instant at = now;
    for (int i = 0; i <= quietHours.size(); i++) {   // each pass can only extend by another window
      Instant end = endOfWindowAround(at, zone);
      if (end == null) {
        return until;
      }
      until = end;
      at = end;
    }
    return until;
  }

  /** The latest end of a window that contains {@code at}, or null. */
  private Instant endOfWindowAround(Instant at, ZoneId zone) {
    LocalDate today = at.atZone(zone).toLocalDate();
    Instant latest = null;
    for (QuietWindow window : quietHours) {
      boolean overnight = !window.endTime().isAfter(window.startTime());
      for (LocalDate day = today.minusDays(1); !day.isAfter(today); day = day.plusDays(1)) {
        if (!window.days().contains(day.getDayOfWeek())) {
          continue;
        }
        Instant start = ZonedDateTime.of(day, window.startTime(), zone).toInstant();
        Instant end = ZonedDateTime.of(overnight ? day.plusDays(1) : day, window.endTime(), zone).toInstant();
        if (!at.isBefore(start) && at.isBefore(end) && (latest == null || end.isAfter(latest))) {
          latest = end;
        }
      }
    }
    return latest;
  }

  private static final Set<String> ZONES = Set.copyOf(ZoneId.getAvailableZoneIds());

  private static ZoneId zoneOf(String id) {
    if (!ZONES.contains(id)) {
      throw new IllegalArgumentException("UserPreferencesUpdated.timeZone must be an IANA time zone id");
    }
    return ZoneId.of(id);
  }
}

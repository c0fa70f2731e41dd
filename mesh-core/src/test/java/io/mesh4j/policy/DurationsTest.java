package io.mesh4j.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Durations as policy JSON writes them. */
class DurationsTest {

  @Test
  void parsesEveryUnit() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("500us")).isEqualTo(Duration.ofNanos(500_000));
    assertThat(Durations.parse("7ns")).isEqualTo(Duration.ofNanos(7));
    assertThat(Durations.parse("0s")).isEqualTo(Duration.ZERO);
  }

  @Test
  void parsesIso8601() {
    assertThat(Durations.parse("PT0.5S")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("PT1H30M")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse("-PT2S")).isEqualTo(Duration.ofSeconds(-2));
  }

  @Test
  void isStrictAboutWhatSurroundsTheDurationAndWhatADigitIs() {
    // Before: trim() also removed control characters, so "2s" + NUL was 2 s; and Java's digits include
    // other scripts', so an Arabic-Indic three followed by "s" was 3 s.
    for (String bad : List.of("2s\u0000", "\u00002s", " 10s ", "10s\n", "\t10s", "\u0663s", "1\uff10s")) {
      assertThatThrownBy(() -> Durations.parse(bad)).as("'%s'", bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void aLongBadInputIsShownShortInTheMessage() {
    String huge = "9".repeat(200_000) + "s";
    assertThatThrownBy(() -> Durations.parse(huge)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("(200001 characters)")
        .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(120));
  }

  @Test
  void parsesNegativeAmountsForValidationToReject() {
    assertThat(Durations.parse("-5s")).isEqualTo(Duration.ofSeconds(-5));
  }

  @Test
  void rejectsBadInputsNamingThem() {
    for (String bad : List.of("", "  ", "10", "ms", "-", "10 s", "1.5s", "10sec", "10S", "1d", "abc", "s10",
        "P", "PTXS", "+5s", "1234567890123456s", "5ms5")) {
      assertThatThrownBy(() -> Durations.parse(bad)).as("'%s'", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("'" + bad + "'");
    }
  }

  @Test
  void formatsInTheLargestExactUnit() {
    assertThat(Durations.format(Duration.ofMillis(250))).isEqualTo("250ms");
    assertThat(Durations.format(Duration.ofSeconds(10))).isEqualTo("10s");
    assertThat(Durations.format(Duration.ofMinutes(5))).isEqualTo("5m");
    assertThat(Durations.format(Duration.ofHours(1))).isEqualTo("1h");
    assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("90m");
    assertThat(Durations.format(Duration.ofNanos(1_000))).isEqualTo("1us");
    assertThat(Durations.format(Duration.ofNanos(1_001))).isEqualTo("1001ns");
    assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(Durations.format(Duration.ofSeconds(-5))).isEqualTo("-5s");
  }

  @Test
  void formatThenParseRoundTrips() {
    for (Duration d : List.of(Duration.ofMillis(250), Duration.ofSeconds(10), Duration.ofMinutes(5),
        Duration.ofHours(1), Duration.ofNanos(123_456_789), Duration.ofDays(3), Duration.ofSeconds(-5),
        Duration.ZERO, Duration.ofDays(400 * 365L) /* too long for nanoseconds: ISO form */)) {
      assertThat(Durations.parse(Durations.format(d))).as(d.toString()).isEqualTo(d);
    }
  }
}

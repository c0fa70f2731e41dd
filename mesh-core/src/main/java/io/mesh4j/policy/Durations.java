package io.mesh4j.policy;

import java.time.Duration;
import java.time.format.DateTimeParseException;

/**
 * Reads and writes durations as policy JSON shows them: {@code "250ms"}, {@code "10s"}, {@code "5m"},
 * {@code "1h"}, {@code "500us"}, or ISO-8601 ({@code "PT0.25S"}).
 */
public final class Durations {
  private Durations() {}

  /**
   * Parses a duration.
   *
   * <p>Strict: no surrounding spaces, ASCII digits only, nothing after the unit ("2s" followed by U+0000, and
   * an Arabic-Indic digit three then "s", are refused, not read as 2 s and 3 s).
   *
   * @throws IllegalArgumentException when the text is neither {@code <integer><unit>} nor ISO-8601; its
   *     message quotes the text, shortened
   */
  public static Duration parse(String text) {
    String s = text;
    if (s.startsWith("P") || s.startsWith("p") || s.startsWith("-P")) {
      try {
        return Duration.parse(s);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(shown(text));
      }
    }
    int i = 0;
    if (i < s.length() && s.charAt(i) == '-') {
      i++;
    }
    int digitsStart = i;
    while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
      i++;
    }
    if (i == digitsStart || i - digitsStart > 15) {
      throw new IllegalArgumentException(shown(text));
    }
    long amount = Long.parseLong(s.substring(0, i));
    switch (s.substring(i)) {
      case "ns":
        return Duration.ofNanos(amount);
      case "us":
        return Duration.ofNanos(amount * 1_000);
      case "ms":
        return Duration.ofMillis(amount);
      case "s":
        return Duration.ofSeconds(amount);
      case "m":
        return Duration.ofMinutes(amount);
      case "h":
        return Duration.ofHours(amount);
      default:
        throw new IllegalArgumentException(shown(text));
    }
  }

  private static String shown(String text) {
    return "'" + io.mesh4j.internal.JsonText.shortened(text) + "'";
  }

  /** Formats in the largest unit that represents {@code d} exactly ({@code 1500ms}, {@code 10s}). */
  public static String format(Duration d) {
    long nanos;
    try {
      nanos = d.toNanos();
    } catch (ArithmeticException e) {
      return d.toString();
    }
    if (nanos == 0) {
      return "0s";
    }
    long[] factors = {3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L, 1L};
    String[] units = {"h", "m", "s", "ms", "us", "ns"};
    for (int i = 0; i < factors.length; i++) {
      if (nanos % factors[i] == 0) {
        return (nanos / factors[i]) + units[i];
      }
    }
    return nanos + "ns";
  }
}

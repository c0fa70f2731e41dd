package io.mesh4j.policy;

import java.time.Duration;

/** Shared field checks for the policy records. */
final class Checks {
  private Checks() {}

  static boolean positive(Duration d, String path, Violations v) {
    boolean ok = d != null && d.compareTo(Duration.ZERO) > 0;
    v.check(ok, path, d == null ? "missing" : Durations.format(d), "a duration > 0");
    return ok;
  }

  static boolean nonNegative(Duration d, String path, Violations v) {
    boolean ok = d != null && !d.isNegative();
    v.check(ok, path, d == null ? "missing" : Durations.format(d), "a duration >= 0");
    return ok;
  }

  static void percent(double value, String path, Violations v) {
    v.check(value >= 0 && value <= 100, path, value, "a percentage 0..100");
  }
}

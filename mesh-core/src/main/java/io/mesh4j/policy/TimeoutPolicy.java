package io.mesh4j.policy;

import java.time.Duration;
import java.util.Optional;

/**
 * Timeouts of a service. {@code total} bounds the whole logical call (every attempt, backoff and
 * queueing); {@code perAttempt}, when set, bounds each attempt and must not exceed {@code total}.
 * The effective deadline of a call is the earlier of {@code now + total} and the deadline it inherited.
 *
 * @param total      default {@value #DEFAULT_TOTAL_TEXT}
 * @param perAttempt null when attempts are bounded by the total only (the default)
 */
public record TimeoutPolicy(Duration total, Duration perAttempt) {
  static final String DEFAULT_TOTAL_TEXT = "15s";
  /** Envoy's default route timeout, a sane upper bound for an interactive call. */
  public static final TimeoutPolicy DEFAULT = new TimeoutPolicy(Duration.ofSeconds(15), null);

  public TimeoutPolicy {
    Violations v = new Violations();
    validate(total, perAttempt, "timeouts", v);
    v.throwIfAny();
  }

  static void validate(Duration total, Duration perAttempt, String p, Violations v) {
    v.check(total != null && !total.isNegative() && !total.isZero(), Violations.join(p, "total"),
        total == null ? "missing" : Durations.format(total), "a duration > 0, e.g. \"2s\"");
    if (perAttempt != null) {
      boolean positive = !perAttempt.isNegative() && !perAttempt.isZero();
      v.check(positive, Violations.join(p, "perAttempt"), Durations.format(perAttempt), "a duration > 0");
      if (positive && total != null && total.compareTo(Duration.ZERO) > 0) {
        v.check(perAttempt.compareTo(total) <= 0, Violations.join(p, "perAttempt"),
            Durations.format(perAttempt), "<= timeouts.total (" + Durations.format(total) + ")");
      }
    }
  }

  /** The per-attempt bound, when one is set. */
  public Optional<Duration> perAttemptTimeout() {
    return Optional.ofNullable(perAttempt);
  }

  /** This policy with another total timeout. */
  public TimeoutPolicy withTotal(Duration newTotal) {
    return new TimeoutPolicy(newTotal, perAttempt);
  }

  /** This policy with another per-attempt timeout (null: none). */
  public TimeoutPolicy withPerAttempt(Duration newPerAttempt) {
    return new TimeoutPolicy(total, newPerAttempt);
  }
}

package io.mesh4j.policy;

import java.time.Duration;

/**
 * Hedged requests, opt-in and for idempotent requests only: when the first attempt has not answered
 * after a delay, a backup goes to another endpoint; the first good answer wins and the other attempt is
 * cancelled. Backups draw from the retry budget. An attempt that fails in a way the retry policy retries
 * (a refused connection, a status in {@code retryOn}, ...) is replaced at once under the retry policy's
 * rules (its {@code maxAttempts}, budget and the deadline), not after the hedge delay.
 *
 * @param enabled     default false
 * @param delay       fixed delay before a backup (used when {@code percentile} is 0); default 50ms
 * @param percentile  when 50..99, the delay is the service's observed latency at that percentile
 *                    (JSON {@code "delay": "p95"}) and {@code delay} is the floor; 0 for a fixed delay
 * @param maxAttempts attempts in all including the first, 2..5; default 2
 */
public record HedgePolicy(boolean enabled, Duration delay, int percentile, int maxAttempts) {
  public static final HedgePolicy DEFAULT = new HedgePolicy(false, Duration.ofMillis(50), 0, 2);

  public HedgePolicy {
    Violations v = new Violations();
    validate(delay, percentile, maxAttempts, "hedging", v);
    v.throwIfAny();
  }

  static void validate(Duration delay, int percentile, int maxAttempts, String p, Violations v) {
    Checks.nonNegative(delay, Violations.join(p, "delay"), v);
    v.check(percentile == 0 || (percentile >= 50 && percentile <= 99), Violations.join(p, "delay"),
        "p" + percentile, "a duration, or a percentile p50..p99");
    v.check(maxAttempts >= 2 && maxAttempts <= 5, Violations.join(p, "maxAttempts"), maxAttempts, "2..5");
  }

  /** Hedging after a fixed delay. */
  public static HedgePolicy fixed(Duration delay) {
    return new HedgePolicy(true, delay, 0, 2);
  }

  /** Hedging after the observed latency percentile (e.g. 95), never sooner than {@code floor}. */
  public static HedgePolicy percentile(int percentile, Duration floor) {
    return new HedgePolicy(true, floor, percentile, 2);
  }
}

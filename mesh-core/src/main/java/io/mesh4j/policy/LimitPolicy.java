package io.mesh4j.policy;

import java.time.Duration;

/**
 * Client-side limits on calls to a service: a token-bucket rate limit and a concurrency limit (calls in
 * flight), fixed or adaptive. A call over a limit waits up to {@code maxWait} for room, then fails at
 * once with {@code LimitExceededException}; nothing is sent.
 *
 * @param ratePerSecond    tokens per second; 0 disables the rate limit (default)
 * @param burst            bucket size; default 0 meaning "equal to ratePerSecond"
 * @param concurrency      {@code off} (default), {@code fixed} (at most {@code maxConcurrency} in flight)
 *                         or {@code adaptive} (AIMD between {@code minConcurrency} and
 *                         {@code maxConcurrency}: +1 per window of successes, x0.9 on a timeout or
 *                         overload answer, as in Netflix's concurrency-limits)
 * @param maxConcurrency   default 100 (1..100000)
 * @param minConcurrency   adaptive floor, default 1
 * @param maxWait          how long a call may wait for room; default 0s (fail fast)
 */
public record LimitPolicy(double ratePerSecond, int burst, Concurrency concurrency, int maxConcurrency,
    int minConcurrency, Duration maxWait) {

  /** Concurrency-limit modes. */
  public enum Concurrency {
    OFF, FIXED, ADAPTIVE;

    /** The name in JSON. */
    public String jsonName() {
      return name().toLowerCase();
    }

    static Concurrency fromJsonName(String s) {
      for (Concurrency c : values()) {
        if (c.jsonName().equals(s)) {
          return c;
        }
      }
      return null;
    }
  }

  public static final LimitPolicy DEFAULT = new LimitPolicy(0, 0, Concurrency.OFF, 100, 1, Duration.ZERO);

  public LimitPolicy {
    Violations v = new Violations();
    validate(ratePerSecond, burst, concurrency, maxConcurrency, minConcurrency, maxWait, "limits", v);
    v.throwIfAny();
  }

  static void validate(double rate, int burst, Concurrency concurrency, int max, int min, Duration maxWait,
      String p, Violations v) {
    v.check(rate >= 0 && rate <= 1_000_000, Violations.join(p, "ratePerSecond"), rate, "0..1000000 (0: off)");
    v.check(burst >= 0 && burst <= 1_000_000, Violations.join(p, "burst"), burst, "0..1000000");
    v.check(concurrency != null, Violations.join(p, "concurrency"), "missing", "off, fixed or adaptive");
    v.check(max >= 1 && max <= 100_000, Violations.join(p, "maxConcurrency"), max, "1..100000");
    v.check(min >= 1 && min <= Math.max(1, max), Violations.join(p, "minConcurrency"), min,
        "1..maxConcurrency (" + max + ")");
    Checks.nonNegative(maxWait, Violations.join(p, "maxWait"), v);
  }

  /** The bucket size in effect. */
  public int effectiveBurst() {
    return burst > 0 ? burst : (int) Math.max(1, Math.ceil(ratePerSecond));
  }

  /** A rate limit of {@code perSecond} calls per second, no concurrency limit. */
  public static LimitPolicy rate(double perSecond, Duration maxWait) {
    return new LimitPolicy(perSecond, 0, Concurrency.OFF, 100, 1, maxWait);
  }

  /** A fixed concurrency limit. */
  public static LimitPolicy concurrency(int max, Duration maxWait) {
    return new LimitPolicy(0, 0, Concurrency.FIXED, max, 1, maxWait);
  }

  /** An adaptive concurrency limit between {@code min} and {@code max}. */
  public static LimitPolicy adaptive(int min, int max, Duration maxWait) {
    return new LimitPolicy(0, 0, Concurrency.ADAPTIVE, max, min, maxWait);
  }
}

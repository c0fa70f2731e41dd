package io.mesh4j.retry;

import io.mesh4j.balance.RandomSource;
import java.time.Duration;

/**
 * Exponential backoff with full jitter (AWS's "Exponential Backoff and Jitter"): the n-th retry waits
 * a uniformly random time in {@code [0, min(cap, base x 2^(n-1))]}. Full jitter spreads the retries of
 * many clients that failed at the same moment instead of having them return in lockstep. Immutable.
 */
public final class Backoff {
  private final long baseNanos;
  private final long capNanos;
  private final RandomSource random;

  public Backoff(Duration base, Duration cap, RandomSource random) {
    if (base.isNegative() || base.isZero()) {
      throw new IllegalArgumentException("base: " + base + " (expected: > 0)");
    }
    if (cap.compareTo(base) < 0) {
      throw new IllegalArgumentException("cap: " + cap + " (expected: >= base " + base + ")");
    }
    this.baseNanos = base.toNanos();
    this.capNanos = cap.toNanos();
    this.random = random;
  }

  /** The upper bound of the wait before retry number {@code retry} (1-based). */
  public long ceilingNanos(int retry) {
    int shift = Math.min(Math.max(retry - 1, 0), 30);
    long exp = baseNanos << shift;
    return exp <= 0 || exp > capNanos ? capNanos : exp;
  }

  /** A jittered wait before retry number {@code retry} (1-based). */
  public long nextNanos(int retry) {
    return random.nextLong(ceilingNanos(retry) + 1);
  }
}

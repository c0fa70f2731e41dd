package io.mesh4j.limit;

import io.mesh4j.time.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A token bucket: {@code ratePerSecond} tokens a second, holding at most {@code burst}; a full bucket
 * at creation. Each call takes one token.
 *
 * <h2>State and concurrency</h2>
 * The bucket is kept as one number, the <em>theoretical arrival time</em> of the generic cell rate
 * algorithm (GCRA, equivalent to a token bucket): {@code tat} is the ticker time at which the bucket
 * would be full again. Taking a token moves it {@code interval} = 1 s / rate later, starting from now
 * if it lies in the past; the take is allowed when the result is at most {@code burst x interval}
 * ahead of now. Because the whole state is one {@code long}, a take is a single compare-and-set: no
 * lock, no allocation, and no separate "last refill" to keep consistent with a token count. Under
 * contention a losing thread re-reads and retries; every retry means another thread made progress.
 *
 * <p>The interval is rounded to whole nanoseconds (a rate of 3/s runs at 3.000000003/s).
 */
public final class TokenBucket {
  /**
   * At most ~13 days between tokens, and a full bucket at most ~146 years ahead: sums of ticker times
   * below then stay within 2^63 of each other, where wrapping subtraction still compares correctly.
   * (Only absurd settings reach them: a burst of a million at one call every three hours.)
   */
  private static final long MAX_INTERVAL = 1L << 50;
  private static final long MAX_TOLERANCE = 1L << 62;

  private final double ratePerSecond;
  private final int burst;
  private final long interval;
  private final long tolerance;
  private final Ticker ticker;
  private final AtomicLong tat;

  private TokenBucket(double ratePerSecond, int burst, Ticker ticker) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.ticker = ticker;
    double nanos = 1e9 / ratePerSecond;
    this.interval = nanos >= MAX_INTERVAL ? MAX_INTERVAL : Math.max(1, Math.round(nanos));
    this.tolerance = interval > MAX_TOLERANCE / burst ? MAX_TOLERANCE : interval * burst;
    this.tat = new AtomicLong(ticker.nanoTime()); // full
  }

  /**
   * A bucket of {@code burst} tokens refilled at {@code ratePerSecond}, full now.
   *
   * @throws IllegalArgumentException when the rate is not a positive number or the burst is below 1
   */
  public static TokenBucket create(double ratePerSecond, int burst, Ticker ticker) {
    if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("ratePerSecond: " + ratePerSecond + " (expected: > 0)");
    }
    if (burst < 1) {
      throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
    }
    return new TokenBucket(ratePerSecond, burst, Objects.requireNonNull(ticker, "ticker"));
  }

  /** Tokens per second. */
  public double ratePerSecond() {
    return ratePerSecond;
  }

  /** The most tokens the bucket holds. */
  public int burst() {
    return burst;
  }

  /** Takes a token if there is one now. Never waits. */
  public boolean tryAcquire() {
    for (;;) {
      long now = ticker.nanoTime();
      long current = tat.get();
      long next = (current - now > 0 ? current : now) + interval;
      if (next - now > tolerance) {
        return false;
      }
      if (tat.compareAndSet(current, next)) {
        return true;
      }
    }
  }

  /**
   * Takes a token, waiting for it when it comes within {@code maxWait}. A call whose token would come
   * later does not wait at all: it returns false at once, since waiting could not help.
   *
   * @return true with a token; false when none comes within {@code maxWait}
   * @throws InterruptedException when the thread is interrupted while waiting (the token is given back)
   */
  public boolean acquire(Duration maxWait) throws InterruptedException {
    Objects.requireNonNull(maxWait, "maxWait");
    return acquireNanos(maxWait.isNegative() ? 0 : saturatedNanos(maxWait));
  }

  boolean acquireNanos(long maxWaitNanos) throws InterruptedException {
    long now;
    long wait;
    for (;;) {
      now = ticker.nanoTime();
      long current = tat.get();
      long next = (current - now > 0 ? current : now) + interval;
      wait = next - now - tolerance;
      if (wait > maxWaitNanos) {
        return false;
      }
      // Reserve the token now, even if it only becomes ours after a wait: later callers then queue
      // behind this one instead of racing it, so the rate holds and nobody waits longer than told.
      if (tat.compareAndSet(current, next)) {
        break;
      }
    }
    if (wait > 0) {
      try {
        parkUntil(now + wait, wait);
      } catch (InterruptedException e) {
        refund();
        throw e;
      }
    }
    return true;
  }

  /**
   * Parks until the ticker reaches {@code readyAt}. Also stops once {@code waitNanos} of real time has
   * passed, so a ticker that does not move (a test's) cannot hold the thread longer than it was told.
   */
  private void parkUntil(long readyAt, long waitNanos) throws InterruptedException {
    long realDeadline = System.nanoTime() + waitNanos;
    for (;;) {
      if (Thread.interrupted()) {
        throw new InterruptedException("interrupted while waiting for a rate-limit token");
      }
      long remaining = Math.min(readyAt - ticker.nanoTime(), realDeadline - System.nanoTime());
      if (remaining <= 0) {
        return;
      }
      LockSupport.parkNanos(this, remaining);
    }
  }

  /**
   * Gives back a token taken but not used (the call was refused by a later limit, or interrupted).
   * A full bucket stays full: {@code tat} in the past counts as now.
   */
  void refund() {
    tat.addAndGet(-interval);
  }

  /** How long until a token is available; zero when one is available now. */
  public Duration timeUntilAvailable() {
    return Duration.ofNanos(nanosUntilAvailable());
  }

  long nanosUntilAvailable() {
    long now = ticker.nanoTime();
    long current = tat.get();
    long wait = (current - now > 0 ? current : now) + interval - now - tolerance;
    return Math.max(0, wait);
  }

  /** The tokens in the bucket now (0..burst). */
  public int available() {
    long now = ticker.nanoTime();
    long current = tat.get();
    long ahead = current - now > 0 ? current - now : 0;
    return (int) Math.min(burst, (tolerance - ahead) / interval);
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 4;
    }
  }

  @Override
  public String toString() {
    return "TokenBucket{" + ratePerSecond + "/s, burst " + burst + ", available " + available() + "}";
  }
}

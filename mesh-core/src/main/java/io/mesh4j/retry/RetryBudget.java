package io.mesh4j.retry;

import io.mesh4j.time.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Caps retries at a share of recent requests plus a small reserve (Finagle's {@code RetryBudget},
 * Linkerd's retry budget): over the last {@code ttl}, retries &lt;= {@code percent} x requests +
 * {@code minPerSecond} x the time the window covers. The reserve accrues from the budget's creation,
 * starting with one second's worth: a fresh client can retry its first failures, but cannot spend ten
 * seconds of reserve in its first second. When a backend fails everything, a client with a budget sends at most
 * ~1.2x its request rate instead of {@code maxAttempts} x — retries help with blips and cannot turn an
 * outage into a retry storm.
 *
 * <h2>Failure-aware</h2>
 * The budget also remembers how its retries ended. When at least {@value #MIN_RETRY_SAMPLES} retries
 * ended in the window and fewer than {@value #PAUSE_BELOW_PERCENT}% of them succeeded, retrying is
 * <em>paused</em>: {@link #tryWithdraw} refuses until those outcomes age out of the window, then a few
 * retries probe again. So a backend that fails everything gets ~1.0x its request rate instead of the
 * budget's 1.2x (Finagle and Linkerd stop at the budget), while failures that a retry does cure (a
 * 20% random abort, one bad endpoint among several) keep their retries: those retries succeed. gRPC's
 * retry throttling works from failures alone, which also stops retries that would have helped.
 *
 * <h2>Concurrency</h2>
 * The window is a ring of {@value #SLOTS} time slots, each with its own deposit and withdrawal
 * counters in {@link AtomicLongArray}s: a request does one atomic add on one slot, no lock. A slot is
 * recycled with a CAS on its epoch; an increment racing with that reset can be lost, and two retries
 * racing for the last token can both get it. Both errors are bounded by the number of threads racing
 * at a slot boundary and only ever make the budget slightly more (or less) generous for one slot —
 * acceptable for a rate limit on retries, and the price of a hot path without locks.
 */
public final class RetryBudget {
  static final int SLOTS = 10;
  /** Retry outcomes in the window needed before their success rate can pause retrying. */
  static final int MIN_RETRY_SAMPLES = 10;
  /** Retrying pauses when fewer than this share of the window's retries succeeded. */
  static final int PAUSE_BELOW_PERCENT = 25;

  private final Ticker ticker;
  private final long slotNanos;
  private final double percent;
  private final int minPerSecond;
  private final long ttlNanos;
  private final long createdNanos;
  private final AtomicLongArray epochs = new AtomicLongArray(SLOTS);
  private final AtomicLongArray deposits = new AtomicLongArray(SLOTS);
  private final AtomicLongArray withdrawals = new AtomicLongArray(SLOTS);
  private final AtomicLongArray retriesCured = new AtomicLongArray(SLOTS);
  private final AtomicLongArray retriesFailed = new AtomicLongArray(SLOTS);

  /**
   * @param ttl          the window, at least 10 ms
   * @param percent      retries allowed per request, 0..1 (0.2 = 20%)
   * @param minPerSecond retries always allowed per second, on top (the reserve for low traffic)
   */
  public RetryBudget(Duration ttl, double percent, int minPerSecond, Ticker ticker) {
    if (ttl.toMillis() < 10) {
      throw new IllegalArgumentException("ttl: " + ttl + " (expected: >= 10ms)");
    }
    if (!(percent >= 0 && percent <= 1)) {
      throw new IllegalArgumentException("percent: " + percent + " (expected: 0..1)");
    }
    if (minPerSecond < 0) {
      throw new IllegalArgumentException("minPerSecond: " + minPerSecond + " (expected: >= 0)");
    }
    this.ticker = ticker;
    this.slotNanos = ttl.toNanos() / SLOTS;
    this.percent = percent;
    this.minPerSecond = minPerSecond;
    this.ttlNanos = ttl.toNanos();
    this.createdNanos = ticker.nanoTime();
    long epoch = epochOf(createdNanos);
    for (int i = 0; i < SLOTS; i++) {
      epochs.set(i, epoch); // all slots start empty and current
    }
  }

  private long epochOf(long nanos) {
    return Math.floorDiv(nanos, slotNanos);
  }

  private int slot(long epoch) {
    int i = (int) Math.floorMod(epoch, SLOTS);
    long seen = epochs.get(i);
    if (seen != epoch && epochs.compareAndSet(i, seen, epoch)) {
      deposits.set(i, 0);
      withdrawals.set(i, 0);
      retriesCured.set(i, 0);
      retriesFailed.set(i, 0);
    }
    return i;
  }

  /** Records one request (every logical call deposits once, retried or not). */
  public void deposit() {
    deposits.incrementAndGet(slot(epochOf(ticker.nanoTime())));
  }

  /** Takes a token for one retry; false when the budget is spent. */
  public boolean tryWithdraw() {
    long now = ticker.nanoTime();
    long epoch = epochOf(now);
    int current = slot(epoch);
    if (inWindow(withdrawals, epoch) >= (long) (inWindow(deposits, epoch) * percent) + reserve(now)
        || paused(epoch)) {
      return false;
    }
    withdrawals.incrementAndGet(current);
    return true;
  }

  /**
   * Records how a retry ended: {@code cured} when the retried attempt's answer was not one to retry
   * (whatever its status), false when it failed in a retryable way again. Call once per retried
   * attempt, not for first attempts.
   */
  public void recordRetry(boolean cured) {
    (cured ? retriesCured : retriesFailed).incrementAndGet(slot(epochOf(ticker.nanoTime())));
  }

  /** Whether retrying is paused now because the window's retries mostly failed. */
  public boolean isPaused() {
    return paused(epochOf(ticker.nanoTime()));
  }

  private boolean paused(long epoch) {
    long cured = inWindow(retriesCured, epoch);
    long n = cured + inWindow(retriesFailed, epoch);
    return n >= MIN_RETRY_SAMPLES && cured * 100 < n * PAUSE_BELOW_PERCENT;
  }

  /** Retries still available now (for status pages). */
  public long available() {
    long now = ticker.nanoTime();
    long epoch = epochOf(now);
    return paused(epoch) ? 0
        : Math.max(0, (long) (inWindow(deposits, epoch) * percent) + reserve(now) - inWindow(withdrawals, epoch));
  }

  /** The sum of {@code counts} over the window's slots; slots older than the window no longer count. */
  private long inWindow(AtomicLongArray counts, long epoch) {
    long sum = 0;
    for (int i = 0; i < SLOTS; i++) {
      if (epoch - epochs.get(i) < SLOTS) {
        sum += counts.get(i);
      }
    }
    return sum;
  }

  /** Retries allowed regardless of traffic: minPerSecond over the elapsed part of the window (>= 1 s). */
  private long reserve(long now) {
    long covered = Math.min(ttlNanos, Math.max(1_000_000_000L, now - createdNanos));
    return (long) Math.floor(minPerSecond * (covered / 1e9));
  }
}

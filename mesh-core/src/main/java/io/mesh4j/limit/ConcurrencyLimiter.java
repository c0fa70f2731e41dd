package io.mesh4j.limit;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bounds the calls in flight to a service: a fixed limit, or an adaptive one (AIMD, as in Netflix's
 * concurrency-limits) that grows while the service answers and shrinks when it signals overload.
 *
 * <p>Use: {@link #tryAcquire()} or {@link #acquire(Duration)}; when it returned true, exactly one of
 * {@link #onSuccess()}, {@link #onDropped()} or {@link #onIgnored()} when the call ends. Nothing is
 * allocated per call.
 *
 * <h2>Adaptive limit</h2>
 * <ul>
 *   <li>Starts at 20 (Netflix's default initial limit) clamped into {@code [min, max]}: high enough
 *       not to throttle a healthy service while the limit learns, low enough to protect a struggling
 *       one from the first burst.</li>
 *   <li>Additive increase: each success adds {@code 1/limit}, so the limit grows by one per "window"
 *       of {@code limit} successful calls (TCP congestion avoidance). Only while the limit is in use —
 *       at least half of it in flight — so a lightly loaded client does not inflate a limit it never
 *       tested.</li>
 *   <li>Multiplicative decrease: each drop (timeout, 503/429, failed connection) multiplies it by
 *       0.9.</li>
 *   <li>Never below {@code min}, never above {@code max}. The limit is a double; the calls allowed
 *       in flight are its integer part.</li>
 * </ul>
 *
 * <h2>Concurrency</h2>
 * The count in flight is an {@link AtomicInteger} taken with compare-and-set against the current
 * limit, and the adaptive limit is a double in an {@link AtomicLong} updated the same way, so the
 * request path takes no lock. A lock and condition exist only for callers that wait for room: a
 * release signals them only when {@code waiters} is non-zero. That check cannot miss a waiter: the
 * waiter registers itself (volatile write) before it re-reads the count, and a release decrements the
 * count before it reads {@code waiters}; with both sides volatile, either the waiter sees the freed
 * slot or the release sees the waiter. Waiting is not fair: a new caller may take a slot just freed
 * ahead of one that waited; the waiter then waits again, never past its {@code maxWait}.
 */
public final class ConcurrencyLimiter {
  /** Netflix concurrency-limits' default initial limit. */
  static final int DEFAULT_INITIAL_LIMIT = 20;
  static final double BACKOFF_RATIO = 0.9;

  private final boolean adaptive;
  private final int min;
  private final int max;
  private final AtomicInteger inFlight = new AtomicInteger();
  /** The limit as {@link Double#doubleToRawLongBits} (constant when fixed). */
  private final AtomicLong limitBits;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition room = lock.newCondition();
  /** Threads waiting in {@link #await}; written under {@code lock}, read without. */
  private volatile int waiters;

  private ConcurrencyLimiter(boolean adaptive, int min, int max, int initial) {
    this.adaptive = adaptive;
    this.min = min;
    this.max = max;
    this.limitBits = new AtomicLong(Double.doubleToRawLongBits(initial));
  }

  /**
   * At most {@code max} calls in flight.
   *
   * @throws IllegalArgumentException when {@code max < 1}
   */
  public static ConcurrencyLimiter fixed(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
    }
    return new ConcurrencyLimiter(false, max, max, max);
  }

  /**
   * An adaptive limit between {@code min} and {@code max}, starting at 20 clamped into that range.
   *
   * @throws IllegalArgumentException when {@code min < 1} or {@code max < min}
   */
  public static ConcurrencyLimiter adaptive(int min, int max) {
    return adaptive(min, max, Math.max(min, Math.min(DEFAULT_INITIAL_LIMIT, max)));
  }

  /**
   * An adaptive limit between {@code min} and {@code max}, starting at {@code initial}.
   *
   * @throws IllegalArgumentException when {@code min < 1}, {@code max < min} or {@code initial} is
   *     outside {@code [min, max]}
   */
  public static ConcurrencyLimiter adaptive(int min, int max, int initial) {
    if (min < 1) {
      throw new IllegalArgumentException("min: " + min + " (expected: >= 1)");
    }
    if (max < min) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= min (" + min + "))");
    }
    if (initial < min || initial > max) {
      throw new IllegalArgumentException("initial: " + initial + " (expected: " + min + ".." + max + ")");
    }
    return new ConcurrencyLimiter(true, min, max, initial);
  }

  /** Whether the limit adapts (AIMD) rather than staying fixed. */
  public boolean isAdaptive() {
    return adaptive;
  }

  /** The calls allowed in flight now. */
  public int limit() {
    return (int) limitValue();
  }

  /** The adaptive limit with its fractional part (the fixed limit when not adaptive). */
  public double limitValue() {
    return Double.longBitsToDouble(limitBits.get());
  }

  /** The smallest the limit gets (the fixed limit when not adaptive). */
  public int min() {
    return min;
  }

  /** The largest the limit gets. */
  public int max() {
    return max;
  }

  /** The calls in flight now. */
  public int inFlight() {
    return inFlight.get();
  }

  /** Takes a slot if one is free now. Never waits. */
  public boolean tryAcquire() {
    for (;;) {
      int n = inFlight.get();
      if (n >= limit()) {
        return false;
      }
      if (inFlight.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /**
   * Takes a slot, waiting up to {@code maxWait} for one to be freed.
   *
   * @return true with a slot; false when none was freed in time
   * @throws InterruptedException when the thread is interrupted while waiting
   */
  public boolean acquire(Duration maxWait) throws InterruptedException {
    Objects.requireNonNull(maxWait, "maxWait");
    if (tryAcquire()) {
      return true;
    }
    long nanos;
    try {
      nanos = maxWait.toNanos();
    } catch (ArithmeticException e) {
      nanos = Long.MAX_VALUE;
    }
    return nanos > 0 && await(nanos);
  }

  boolean acquireNanos(long maxWaitNanos) throws InterruptedException {
    return tryAcquire() || (maxWaitNanos > 0 && await(maxWaitNanos));
  }

  private boolean await(long nanos) throws InterruptedException {
    lock.lockInterruptibly();
    try {
      waiters++;
      try {
        long remaining = nanos;
        for (;;) {
          if (tryAcquire()) {
            return true;
          }
          if (remaining <= 0) {
            return false;
          }
          remaining = room.awaitNanos(remaining);
        }
      } finally {
        waiters--;
      }
    } finally {
      lock.unlock();
    }
  }

  /** The call got an answer that says nothing of overload: release, and grow an adaptive limit in use. */
  public void onSuccess() {
    boolean grew = false;
    if (adaptive) {
      int n = inFlight.get(); // includes this call
      for (;;) {
        long bits = limitBits.get();
        double limit = Double.longBitsToDouble(bits);
        if (n * 2.0 < limit || limit >= max) {
          break; // not using half the limit: this success proves nothing about a higher one
        }
        double next = Math.min(max, limit + 1 / limit);
        if (limitBits.compareAndSet(bits, Double.doubleToRawLongBits(next))) {
          grew = (int) next > (int) limit;
          break;
        }
      }
    }
    release(grew);
  }

  /** The call timed out or the service signalled overload: release, and shrink an adaptive limit. */
  public void onDropped() {
    if (adaptive) {
      for (;;) {
        long bits = limitBits.get();
        double limit = Double.longBitsToDouble(bits);
        double next = Math.max(min, limit * BACKOFF_RATIO);
        if (next == limit || limitBits.compareAndSet(bits, Double.doubleToRawLongBits(next))) {
          break;
        }
      }
    }
    release(false);
  }

  /** The call ended without telling anything about the service (cancelled, never sent): release only. */
  public void onIgnored() {
    release(false);
  }

  private void release(boolean limitGrew) {
    int n = inFlight.decrementAndGet();
    if (n < 0) {
      inFlight.incrementAndGet();
      throw new IllegalStateException("released more slots than were acquired");
    }
    if (waiters > 0) {
      lock.lock();
      try {
        if (limitGrew) {
          room.signalAll(); // two slots may be free now: the released one and the new one
        } else {
          room.signal();
        }
      } finally {
        lock.unlock();
      }
    }
  }

  @Override
  public String toString() {
    return "ConcurrencyLimiter{" + (adaptive ? "adaptive " + min + ".." + max + ", limit " + limit()
        : "fixed " + max) + ", in flight " + inFlight() + "}";
  }
}

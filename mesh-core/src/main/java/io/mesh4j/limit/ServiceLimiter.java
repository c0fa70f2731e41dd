package io.mesh4j.limit;

import io.mesh4j.DeadlineExceededException;
import io.mesh4j.limit.LimitExceededException.Limit;
import io.mesh4j.policy.Durations;
import io.mesh4j.policy.LimitPolicy;
import io.mesh4j.time.Ticker;
import java.io.InterruptedIOException;
import java.time.Duration;

/**
 * The client-side limits of one service under one {@link LimitPolicy}: the rate limit (if any), then
 * the concurrency limit (if any), sharing one {@code maxWait}. Obtained from {@link ServiceLimiters}.
 *
 * <p>Use per call: {@link #acquire()} before sending; then, only if a concurrency limit is set (it is a
 * no-op otherwise), exactly one of {@link #onSuccess()}, {@link #onDropped()} or {@link #onIgnored()}.
 * Allocation-free unless the call is refused.
 */
public final class ServiceLimiter {
  private final String service;
  private final LimitPolicy policy;
  private final TokenBucket rate;
  private final ConcurrencyLimiter concurrency;
  private final Ticker ticker;
  private final long maxWaitNanos;

  ServiceLimiter(String service, LimitPolicy policy, TokenBucket rate, ConcurrencyLimiter concurrency,
      Ticker ticker) {
    this.service = service;
    this.policy = policy;
    this.rate = rate;
    this.concurrency = concurrency;
    this.ticker = ticker;
    long nanos;
    try {
      nanos = policy.maxWait().toNanos();
    } catch (ArithmeticException e) {
      nanos = Long.MAX_VALUE / 4;
    }
    this.maxWaitNanos = nanos;
  }

  /** The logical service. */
  public String service() {
    return service;
  }

  /** The policy this limiter was built from. */
  public LimitPolicy policy() {
    return policy;
  }

  /** The rate limit, or null when the policy sets none. */
  public TokenBucket rateLimit() {
    return rate;
  }

  /** The concurrency limit, or null when the policy sets none. */
  public ConcurrencyLimiter concurrencyLimit() {
    return concurrency;
  }

  /**
   * Admits one call: takes a rate token, then a concurrency slot, together waiting at most the
   * policy's {@code maxWait}. A call refused by the concurrency limit gives its rate token back, since
   * it was never sent. Same as {@code acquire(Long.MAX_VALUE)}: for callers with no deadline.
   *
   * @throws LimitExceededException when a limit has no room within {@code maxWait}; nothing may be sent
   * @throws InterruptedIOException when the thread is interrupted while waiting (its interrupt status is
   *     kept); nothing may be sent
   */
  public void acquire() throws LimitExceededException, InterruptedIOException {
    try {
      acquire(Long.MAX_VALUE);
    } catch (DeadlineExceededException e) {
      throw new AssertionError("no deadline to pass", e);
    }
  }

  /**
   * Admits one call whose deadline is {@code deadlineLeftNanos} away: as {@link #acquire()}, but waiting
   * at most {@code min(maxWait, deadlineLeftNanos)}. A wait cut short by the deadline fails with a
   * {@link DeadlineExceededException} (nothing sent), not with a limit error: the call had no time
   * left, whatever the limits would have allowed.
   *
   * @throws LimitExceededException when a limit has no room within {@code maxWait} (and the deadline is
   *     later); nothing may be sent
   * @throws DeadlineExceededException when the deadline passes while waiting for room; nothing was sent
   * @throws InterruptedIOException when the thread is interrupted while waiting; nothing may be sent
   */
  public void acquire(long deadlineLeftNanos) throws LimitExceededException, DeadlineExceededException,
      InterruptedIOException {
    // The deadline binds when it comes before maxWait: then running out of wait means running out of time.
    boolean deadlineBinds = deadlineLeftNanos < maxWaitNanos;
    long waitCap = deadlineBinds ? Math.max(deadlineLeftNanos, 0) : maxWaitNanos;
    long waited = 0;
    boolean tokenTaken = false;
    try {
      if (rate != null) {
        if (!rate.tryAcquire()) {
          if (maxWaitNanos == 0) {
            throw rateExceeded(0);
          }
          long start = ticker.nanoTime();
          boolean acquired = waitCap > 0 && rate.acquireNanos(waitCap);
          waited = ticker.nanoTime() - start;
          if (!acquired) {
            if (deadlineBinds) {
              throw deadlinePassed(waited, "the rate limit");
            }
            throw rateExceeded(waited);
          }
        }
        tokenTaken = true;
      }
      if (concurrency != null && !concurrency.tryAcquire()) {
        long left = waitCap - waited;
        boolean acquired = false;
        if (left > 0 && maxWaitNanos > 0) {
          long start = ticker.nanoTime();
          acquired = concurrency.acquireNanos(left);
          waited += ticker.nanoTime() - start;
        }
        if (!acquired) {
          if (tokenTaken) {
            rate.refund();
          }
          if (deadlineBinds && maxWaitNanos > 0) {
            throw deadlinePassed(waited, "the concurrency limit");
          }
          throw concurrencyExceeded(waited);
        }
      }
    } catch (InterruptedException e) {
      if (tokenTaken) {
        rate.refund();
      }
      Thread.currentThread().interrupt();
      InterruptedIOException io = new InterruptedIOException("service '" + service
          + "': interrupted while waiting for room under its client-side limits; nothing was sent");
      io.initCause(e);
      throw io;
    }
  }

  private DeadlineExceededException deadlinePassed(long waitedNanos, String limit) {
    return new DeadlineExceededException(service, "deadline passed after waiting " + millis(waitedNanos)
        + " for room under " + limit + " (limits.maxWait " + Durations.format(policy.maxWait())
        + " is longer than the time the call had left); nothing was sent", false, null);
  }

  /** The call was answered without an overload signal. */
  public void onSuccess() {
    if (concurrency != null) {
      concurrency.onSuccess();
    }
  }

  /** The call timed out, failed to connect, or was answered 503/429: an overload signal. */
  public void onDropped() {
    if (concurrency != null) {
      concurrency.onDropped();
    }
  }

  /** The call ended without telling anything about the service: cancelled by the caller, or never sent. */
  public void onIgnored() {
    if (concurrency != null) {
      concurrency.onIgnored();
    }
  }

  private LimitExceededException rateExceeded(long waitedNanos) {
    long next = rate.nanosUntilAvailable();
    return new LimitExceededException(service, Limit.RATE, rate.ratePerSecond(), Duration.ofNanos(waitedNanos),
        "rate limit of " + number(rate.ratePerSecond()) + "/s (burst " + rate.burst() + ") reached: the next"
        + " permit is " + millisUp(next) + " away" + (maxWaitNanos == 0 ? " and limits.maxWait is 0s"
            : ", beyond limits.maxWait of " + Durations.format(policy.maxWait()))
        + "; waited " + millis(waitedNanos) + "; nothing was sent");
  }

  private LimitExceededException concurrencyExceeded(long waitedNanos) {
    ConcurrencyLimiter c = concurrency;
    String kind = c.isAdaptive()
        ? "adaptive limit " + c.limit() + " in [" + c.min() + ", " + c.max() + "]"
        : "fixed limit " + c.max();
    return new LimitExceededException(service, Limit.CONCURRENCY, c.limit(), Duration.ofNanos(waitedNanos),
        "concurrency limit reached: " + c.inFlight() + " calls in flight (" + kind + "); waited "
        + millis(waitedNanos) + " (limits.maxWait " + Durations.format(policy.maxWait()) + "); nothing was sent");
  }

  /** Rounded to the nearest millisecond. */
  private static String millis(long nanos) {
    return (nanos + 500_000) / 1_000_000 + " ms";
  }

  /** Rounded up: a permit 0.2 ms away is not "0 ms" away. */
  private static String millisUp(long nanos) {
    return (nanos + 999_999) / 1_000_000 + " ms";
  }

  private static String number(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  @Override
  public String toString() {
    return "ServiceLimiter{" + service + ", rate=" + rate + ", concurrency=" + concurrency + "}";
  }
}

package io.mesh4j.balance;

import io.mesh4j.time.Ticker;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A random-replacement sample of a service's recent latencies, from which hedging reads a percentile
 * (a hedge after the observed p95 adds ~5% load and cuts the tail).
 *
 * <p>Recording writes one slot chosen at random with {@code lazySet}: no shared counter, no lock, so
 * threads recording concurrently do not contend on one cache line (collisions just overwrite a sample).
 * Old samples survive with probability (1 - 1/size)^n after n newer ones, so the sample follows recent
 * traffic. The percentile is recomputed (copy + sort of {@value #SIZE} longs, ~10 us) at most every
 * {@value #REFRESH_MILLIS} ms and cached.
 */
public final class RecentLatencies {
  static final int SIZE = 512;
  static final long REFRESH_MILLIS = 100;

  private final AtomicLongArray samples = new AtomicLongArray(SIZE);
  private final Ticker ticker;
  private volatile long cachedAtNanos = Long.MIN_VALUE;
  private volatile int cachedPercentile = -1;
  private volatile long cachedNanos = -1;

  public RecentLatencies(Ticker ticker) {
    this.ticker = ticker;
  }

  /** Records one latency (nanoseconds, > 0). */
  public void record(long nanos) {
    samples.lazySet(ThreadLocalRandom.current().nextInt(SIZE), Math.max(1, nanos));
  }

  /** The {@code percentile} (1..99) of the recorded sample, or -1 before at least 20 samples. */
  public long percentileNanos(int percentile) {
    long now = ticker.nanoTime();
    if (cachedPercentile == percentile && now - cachedAtNanos < REFRESH_MILLIS * 1_000_000) {
      return cachedNanos;
    }
    long[] copy = new long[SIZE];
    int n = 0;
    for (int i = 0; i < SIZE; i++) {
      long v = samples.get(i);
      if (v > 0) {
        copy[n++] = v;
      }
    }
    long result = -1;
    if (n >= 20) {
      Arrays.sort(copy, 0, n);
      result = copy[Math.min(n - 1, (int) Math.ceil(percentile / 100.0 * n) - 1)];
    }
    cachedNanos = result;
    cachedPercentile = percentile;
    cachedAtNanos = now;
    return result;
  }
}

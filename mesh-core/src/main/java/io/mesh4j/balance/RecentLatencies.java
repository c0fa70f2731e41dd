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
 * traffic.
 *
 * <p>Sampling is on demand: {@link #wanted()} turns true the first time anyone asks for a percentile
 * (a service policy, a route or an annotated method hedging at a percentile — wherever it was set), and
 * the runtime records only then, so services that never hedge at a percentile pay nothing.
 *
 * <p>Reading sorts a copy ({@value #SIZE} longs, ~10 us) at most every {@value #REFRESH_MILLIS} ms and
 * publishes the sorted copy as one immutable {@link Snapshot} through one volatile field: every
 * percentile is read from one consistent snapshot, whichever percentiles are asked for at once.
 */
public final class RecentLatencies {
  static final int SIZE = 512;
  static final long REFRESH_MILLIS = 100;
  /** Fewer samples than this give no percentile (-1): the caller falls back to its floor. */
  static final int MIN_SAMPLES = 20;

  /** One sorted copy of the sample and when it was taken; immutable once published. */
  private record Snapshot(long takenAtNanos, long[] sorted) {
    long percentile(int p) {
      int n = sorted.length;
      return n < MIN_SAMPLES ? -1 : sorted[Math.min(n - 1, (int) Math.ceil(p / 100.0 * n) - 1)];
    }
  }

  private final AtomicLongArray samples = new AtomicLongArray(SIZE);
  private final Ticker ticker;
  private volatile Snapshot snapshot;
  private volatile boolean wanted;

  public RecentLatencies(Ticker ticker) {
    this.ticker = ticker;
  }

  /** Whether anyone has asked for a percentile, so that recording is worth its cost. */
  public boolean wanted() {
    return wanted;
  }

  /** Records one latency (nanoseconds, > 0). */
  public void record(long nanos) {
    samples.lazySet(ThreadLocalRandom.current().nextInt(SIZE), Math.max(1, nanos));
  }

  /** The {@code percentile} (1..99) of the recorded sample, or -1 before at least 20 samples. */
  public long percentileNanos(int percentile) {
    if (!wanted) {
      wanted = true; // from now on the runtime records (a benign race: several threads may write true)
    }
    long now = ticker.nanoTime();
    Snapshot s = snapshot;
    if (s == null || now - s.takenAtNanos >= REFRESH_MILLIS * 1_000_000) {
      long[] copy = new long[SIZE];
      int n = 0;
      for (int i = 0; i < SIZE; i++) {
        long v = samples.get(i);
        if (v > 0) {
          copy[n++] = v;
        }
      }
      long[] sorted = Arrays.copyOf(copy, n);
      Arrays.sort(sorted);
      s = new Snapshot(now, sorted);
      snapshot = s; // two threads refreshing at once publish equivalent snapshots; either is fine
    }
    return s.percentile(percentile);
  }
}

package io.mesh4j.internal.report;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A concurrent latency histogram with fixed logarithmic buckets, the same on every instance, so that
 * histograms merge by adding counts: across endpoints, instances and time windows.
 *
 * <p>Buckets are in microseconds: one per value below 4 µs, then four per power of two (each bucket
 * at most 25% wider than its lower bound), up to 2^36 µs (about 19 hours); longer latencies land in
 * the last bucket. {@link #BUCKETS} buckets in all.
 *
 * <p>Concurrency: {@link #record} is one atomic increment and allocates nothing. The counts are
 * striped {@value #STRIPES} ways by thread, so that threads calling the same endpoint at the same
 * latency do not all increment one slot (a contended slot costs several times an uncontended one);
 * stripes are {@code BUCKETS * 8} bytes apart, on different cache lines. {@link #drainInto} reads and
 * zeroes each slot with {@code getAndSet}, so a sample recorded during a drain lands in this interval
 * or the next one, never in both and never lost.
 */
public final class LatencyHistogram {
  /** The highest power of two with buckets of its own. */
  private static final int MAX_EXPONENT = 35;
  /** Number of buckets: 4 below 4 µs, 4 per power of two from 2^2 to 2^35, and one for anything longer. */
  public static final int BUCKETS = 4 * MAX_EXPONENT + 1;

  /** Stripes of counts (a power of two). */
  static final int STRIPES = 4;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS * STRIPES);

  /** Records one latency. */
  public void record(long nanos) {
    int stripe = (int) Thread.currentThread().getId() & (STRIPES - 1);
    counts.incrementAndGet(stripe * BUCKETS + bucket(nanos));
  }

  /** Adds every count to {@code into} (of length {@link #BUCKETS}) and resets it; returns the total. */
  public long drainInto(long[] into) {
    long total = 0;
    for (int i = 0; i < BUCKETS * STRIPES; i++) {
      long c = counts.get(i) == 0 ? 0 : counts.getAndSet(i, 0); // skip the write on empty slots
      into[i % BUCKETS] += c;
      total += c;
    }
    return total;
  }

  /** The bucket of a latency. */
  public static int bucket(long nanos) {
    long micros = Math.max(0, nanos / 1_000);
    if (micros < 4) {
      return (int) micros;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(micros);
    if (exponent > MAX_EXPONENT) {
      return BUCKETS - 1;
    }
    int sub = (int) (micros >>> (exponent - 2)) & 3;
    return 4 * (exponent - 1) + sub;
  }

  /** The smallest latency in bucket {@code i}, in microseconds. */
  public static long lowerMicros(int i) {
    checkIndex(i);
    if (i < 4) {
      return i;
    }
    int exponent = i / 4 + 1;
    return (4L + i % 4) << (exponent - 2);
  }

  /** The latency just past bucket {@code i}, in microseconds (exclusive upper bound). */
  public static long upperMicros(int i) {
    checkIndex(i);
    return i == BUCKETS - 1 ? Long.MAX_VALUE : lowerMicros(i + 1);
  }

  /** The bucket whose exclusive upper bound is {@code upperMicros}, or -1 when no bucket has it. */
  public static int bucketOfUpper(long upperMicros) {
    if (upperMicros == Long.MAX_VALUE) {
      return BUCKETS - 1;
    }
    if (upperMicros < 1) {
      return -1;
    }
    int i = bucket((upperMicros - 1) * 1_000);
    return i < BUCKETS - 1 && upperMicros(i) == upperMicros ? i : -1;
  }

  /**
   * The {@code quantile} (0..1) of the counts, as the upper bound of the bucket it falls in, in
   * microseconds (so at most 25% above the true value); -1 when there are no samples.
   */
  public static long quantileMicros(long[] counts, double quantile) {
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    if (total == 0) {
      return -1;
    }
    long rank = Math.max(1, (long) Math.ceil(quantile * total));
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return i == BUCKETS - 1 ? lowerMicros(i) : upperMicros(i);
      }
    }
    return lowerMicros(BUCKETS - 1);
  }

  private static void checkIndex(int i) {
    if (i < 0 || i >= BUCKETS) {
      throw new IndexOutOfBoundsException("bucket " + i + " (expected: 0.." + (BUCKETS - 1) + ")");
    }
  }
}

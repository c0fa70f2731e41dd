package io.mesh4j.examples.shop;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Per-second rates of cumulative counters (retries sent, calls failed, …) over a sliding window: each
 * {@link #sample} adds the counters' values now, and {@link #perSecond} is the increase over the samples
 * of the last window divided by the time they span. The view samples once a frame, so its rates cover
 * the same window as the instances' own figures. Not thread-safe: one thread samples and reads.
 */
final class Rates {
  private final long windowNanos;
  private final Map<String, ArrayDeque<long[]>> samples = new HashMap<>();

  Rates(long windowNanos) {
    this.windowNanos = windowNanos;
  }

  /** Records {@code value}, the counter's cumulative value at {@code nanos}. */
  void sample(String counter, long value, long nanos) {
    ArrayDeque<long[]> q = samples.computeIfAbsent(counter, k -> new ArrayDeque<>());
    q.addLast(new long[] {nanos, value});
    // Keep one sample at or before the window's start, so the rate spans the whole window.
    while (q.size() > 2) {
      Iterator<long[]> it = q.iterator();
      it.next();
      if (nanos - it.next()[0] < windowNanos) {
        break;
      }
      q.removeFirst();
    }
  }

  /** The counter's increase per second over the window; 0 before two samples. */
  double perSecond(String counter) {
    ArrayDeque<long[]> q = samples.get(counter);
    if (q == null || q.size() < 2) {
      return 0;
    }
    long[] first = q.peekFirst();
    long[] last = q.peekLast();
    long nanos = last[0] - first[0];
    return nanos <= 0 ? 0 : Math.max(0, last[1] - first[1]) * 1e9 / nanos;
  }
}

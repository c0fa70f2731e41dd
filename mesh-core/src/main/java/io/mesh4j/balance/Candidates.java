package io.mesh4j.balance;

import java.util.List;

/**
 * An immutable array of endpoints to pick from, with the cumulative weights for weighted sampling
 * precomputed (built when endpoints or ejections change, never per request).
 */
public final class Candidates {
  private static final Candidates EMPTY = new Candidates(new EndpointStats[0]);

  private final EndpointStats[] items;
  /** Cumulative weights, or null when every weight is equal (then sampling is a plain nextInt). */
  private final long[] cumulative;
  private final long totalWeight;

  private Candidates(EndpointStats[] items) {
    this.items = items;
    long total = 0;
    boolean uniform = true;
    long[] cum = new long[items.length];
    for (int i = 0; i < items.length; i++) {
      int w = items[i].endpoint().weight();
      total += w;
      cum[i] = total;
      if (w != items[0].endpoint().weight()) {
        uniform = false;
      }
    }
    this.totalWeight = total;
    this.cumulative = uniform ? null : cum;
  }

  public static Candidates of(List<EndpointStats> list) {
    return list.isEmpty() ? EMPTY : new Candidates(list.toArray(new EndpointStats[0]));
  }

  public static Candidates empty() {
    return EMPTY;
  }

  public int size() {
    return items.length;
  }

  public EndpointStats get(int i) {
    return items[i];
  }

  /** Whether all endpoints have the same weight. */
  public boolean uniform() {
    return cumulative == null;
  }

  public long totalWeight() {
    return totalWeight;
  }

  /** An index drawn with probability proportional to the endpoint's weight. O(1) or O(log n). */
  public int sample(RandomSource random) {
    if (cumulative == null) {
      return random.nextInt(items.length);
    }
    return indexOfWeight(random.nextLong(totalWeight));
  }

  /** The index whose weight interval contains {@code point} in {@code [0, totalWeight)}. */
  public int indexOfWeight(long point) {
    if (cumulative == null) {
      return (int) (point / items[0].endpoint().weight());
    }
    int lo = 0;
    int hi = cumulative.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cumulative[mid] > point) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }
}

package io.mesh4j.controlplane.report;

import java.util.Arrays;

/**
 * One key's counts (an edge's, or an endpoint's) per 10 s slot over the last {@code slots} slots, as a
 * ring: attempts by outcome, retries, hedges, and — for edges — a latency histogram per slot that keeps
 * only the range of buckets it has counts in (an edge's latencies fill a dozen of the 141 buckets, so a
 * dense array per slot would be ten times larger). Not thread-safe: the {@link ReportBook} holds its lock.
 */
final class SlotSeries {
  static final int SUCCESS = 0;
  static final int FAILURE = 1;
  static final int TIMEOUT = 2;
  static final int CANCELLED = 3;
  static final int RETRIES = 4;
  static final int HEDGES = 5;
  private static final int FIELDS = 6;

  private final int slots;
  private final long[] slotOf;
  private final long[] counts;
  /** Per ring index: the first bucket of {@link #latency}'s array; null arrays when none. */
  private final int[] offset;
  private final long[][] latency;
  private long lastSlot = -1;

  SlotSeries(int slots, boolean withLatency) {
    this.slots = slots;
    this.slotOf = new long[slots];
    Arrays.fill(slotOf, -1);
    this.counts = new long[slots * FIELDS];
    this.offset = withLatency ? new int[slots] : null;
    this.latency = withLatency ? new long[slots][] : null;
  }

  /** The latest slot with counts. */
  long lastSlot() {
    return lastSlot;
  }

  /** The ring index of {@code slot}, cleared first when it held an older slot. */
  private int index(long slot) {
    int i = (int) (slot % slots);
    if (slotOf[i] != slot) {
      slotOf[i] = slot;
      Arrays.fill(counts, i * FIELDS, i * FIELDS + FIELDS, 0);
      if (latency != null) {
        latency[i] = null;
      }
    }
    lastSlot = Math.max(lastSlot, slot);
    return i;
  }

  void add(long slot, Report.Destination d) {
    int i = index(slot);
    counts[i * FIELDS + RETRIES] += d.retries();
    counts[i * FIELDS + HEDGES] += d.hedges();
    for (Report.EndpointTraffic e : d.endpoints()) {
      addCounts(i, e);
    }
    if (latency != null) {
      addLatency(i, d.latency());
    }
  }

  void add(long slot, Report.EndpointTraffic e) {
    addCounts(index(slot), e);
  }

  private void addCounts(int i, Report.EndpointTraffic e) {
    counts[i * FIELDS + SUCCESS] += e.success();
    counts[i * FIELDS + FAILURE] += e.failure();
    counts[i * FIELDS + TIMEOUT] += e.timeout();
    counts[i * FIELDS + CANCELLED] += e.cancelled();
  }

  private void addLatency(int i, long[] l) {
    int lo = 0;
    while (lo < l.length && l[lo] == 0) {
      lo++;
    }
    if (lo == l.length) {
      return;
    }
    int hi = l.length - 1;
    while (l[hi] == 0) {
      hi--;
    }
    long[] have = latency[i];
    if (have == null) {
      have = new long[hi - lo + 1];
      offset[i] = lo;
    } else if (lo < offset[i] || hi >= offset[i] + have.length) {
      int from = Math.min(lo, offset[i]);
      int to = Math.max(hi, offset[i] + have.length - 1);
      long[] grown = new long[to - from + 1];
      System.arraycopy(have, 0, grown, offset[i] - from, have.length);
      have = grown;
      offset[i] = from;
    }
    latency[i] = have;
    for (int b = lo; b <= hi; b++) {
      have[b - offset[i]] += l[b];
    }
  }

  /** Adds the counts of the slots after {@code from} up to {@code to} (inclusive) to {@code out}. */
  void sumInto(EdgeCounts out, long from, long to) {
    for (long slot = Math.max(from + 1, to - slots + 1); slot <= to; slot++) {
      int i = (int) (slot % slots);
      if (slot < 0 || slotOf[i] != slot) {
        continue;
      }
      int f = i * FIELDS;
      out.success += counts[f + SUCCESS];
      out.failure += counts[f + FAILURE];
      out.timeout += counts[f + TIMEOUT];
      out.cancelled += counts[f + CANCELLED];
      out.retries += counts[f + RETRIES];
      out.hedges += counts[f + HEDGES];
      long[] l = latency == null ? null : latency[i];
      if (l != null) {
        for (int b = 0; b < l.length; b++) {
          out.latency[offset[i] + b] += l[b];
        }
      }
    }
  }
}

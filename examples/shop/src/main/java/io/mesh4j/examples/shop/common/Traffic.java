package io.mesh4j.examples.shop.common;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each instance served, recorded by the instance itself as it answers ({@link ServedByFilter} for
 * HTTP, the payment service's gRPC interceptor for gRPC). One object for the whole demo: the live view
 * and the scripted steps read it. Counts are cumulative (a step measures the difference between two
 * {@link #counts() snapshots}); latencies are kept for the last {@link #WINDOW_NANOS} for percentiles.
 */
public final class Traffic {
  /** How far back the live view's rate and percentiles look. */
  public static final long WINDOW_NANOS = 5_000_000_000L;

  private final Map<String, Recorder> byInstance = new ConcurrentHashMap<>();

  /** Called by an instance for every request it answered. */
  public void record(String service, String instance, long latencyNanos, boolean error, boolean firstAttempt) {
    byInstance.computeIfAbsent(instance, k -> new Recorder(service, instance))
        .record(System.nanoTime(), latencyNanos, error, firstAttempt);
  }

  /** Cumulative counts per instance, for measuring a step. */
  public Map<String, Counts> counts() {
    Map<String, Counts> m = new java.util.TreeMap<>();
    byInstance.forEach((k, r) -> m.put(k, r.counts()));
    return m;
  }

  /** The last window of every instance that has served something. */
  public Collection<Window> windows() {
    long now = System.nanoTime();
    ArrayList<Window> list = new ArrayList<>();
    byInstance.values().forEach(r -> list.add(r.window(now)));
    return list;
  }

  /** Cumulative counts of one instance. {@code firstAttempts} leaves out retries and hedges. */
  public record Counts(String service, long requests, long errors, long firstAttempts) {
    public Counts minus(Counts before) {
      return before == null ? this
          : new Counts(service, requests - before.requests, errors - before.errors, firstAttempts - before.firstAttempts);
    }
  }

  /** One instance over the last window: request rate, error count, latency percentiles. */
  public record Window(String service, String instance, double ratePerSecond, long errors, double p50Millis,
      double p99Millis) {}

  private static final class Recorder {
    private final String service;
    private final String instance;
    // Guarded by this: the recent samples, oldest first, and the running totals.
    private final ArrayDeque<long[]> recent = new ArrayDeque<>();
    private long requests;
    private long errors;
    private long firstAttempts;

    Recorder(String service, String instance) {
      this.service = service;
      this.instance = instance;
    }

    synchronized void record(long now, long latencyNanos, boolean error, boolean firstAttempt) {
      requests++;
      errors += error ? 1 : 0;
      firstAttempts += firstAttempt ? 1 : 0;
      recent.addLast(new long[] {now, latencyNanos, error ? 1 : 0});
      prune(now);
    }

    synchronized Counts counts() {
      return new Counts(service, requests, errors, firstAttempts);
    }

    synchronized Window window(long now) {
      prune(now);
      long[] latencies = new long[recent.size()];
      long errs = 0;
      int i = 0;
      for (long[] s : recent) {
        latencies[i++] = s[1];
        errs += s[2];
      }
      Arrays.sort(latencies);
      return new Window(service, instance, latencies.length / (WINDOW_NANOS / 1e9), errs,
          percentile(latencies, 50) / 1e6, percentile(latencies, 99) / 1e6);
    }

    private void prune(long now) {
      while (!recent.isEmpty() && now - recent.peekFirst()[0] > WINDOW_NANOS) {
        recent.removeFirst();
      }
    }

    private static long percentile(long[] sorted, int p) {
      if (sorted.length == 0) {
        return 0;
      }
      return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1))];
    }
  }
}

package io.mesh4j.controlplane.report;

import io.mesh4j.internal.report.LatencyHistogram;

/** Mergeable counts of one edge (caller service to callee service) over some time. Not thread-safe. */
final class EdgeCounts {
  long success;
  long failure;
  long timeout;
  long cancelled;
  long retries;
  long hedges;
  final long[] latency = new long[LatencyHistogram.BUCKETS];

  void add(Report.Destination d) {
    retries += d.retries();
    hedges += d.hedges();
    for (Report.EndpointTraffic e : d.endpoints()) {
      success += e.success();
      failure += e.failure();
      timeout += e.timeout();
      cancelled += e.cancelled();
    }
    long[] l = d.latency();
    for (int i = 0; i < latency.length; i++) {
      latency[i] += l[i];
    }
  }

  void add(EdgeCounts o) {
    success += o.success;
    failure += o.failure;
    timeout += o.timeout;
    cancelled += o.cancelled;
    retries += o.retries;
    hedges += o.hedges;
    for (int i = 0; i < latency.length; i++) {
      latency[i] += o.latency[i];
    }
  }

  /** Back to zero, for reuse as a query's scratch. */
  void reset() {
    success = 0;
    failure = 0;
    timeout = 0;
    cancelled = 0;
    retries = 0;
    hedges = 0;
    java.util.Arrays.fill(latency, 0);
  }

  long attempts() {
    return success + failure + timeout + cancelled;
  }

  /** Logical calls: the attempts that were not retries or hedges. */
  long requests() {
    return Math.max(0, attempts() - retries - hedges);
  }
}

package io.mesh4j.internal.report;

import io.mesh4j.Outcome;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one endpoint of one service was sent since the last report: attempts by {@link Outcome} and a
 * {@link LatencyHistogram} of the attempts that got an answer or failed (not the cancelled ones).
 *
 * <p>Concurrency: recording is a {@link LongAdder} increment and one atomic histogram increment (no
 * lock, no allocation; about 10-20 ns). {@link #drain} reads and resets each counter on its own: an
 * attempt finishing during a drain is counted in this report or the next, never lost.
 */
public final class TrafficCounters {
  private final LongAdder success = new LongAdder();
  private final LongAdder failure = new LongAdder();
  private final LongAdder timeout = new LongAdder();
  private final LongAdder cancelled = new LongAdder();
  private final LatencyHistogram latency = new LatencyHistogram();

  /** Counts one finished attempt. */
  public void record(Outcome outcome, long nanos) {
    switch (outcome) {
      case SUCCESS -> success.increment();
      case FAILURE -> failure.increment();
      case TIMEOUT -> timeout.increment();
      case CANCELLED -> {
        cancelled.increment();
        return;
      }
    }
    latency.record(nanos);
  }

  /** The counts since the last drain, which are reset. */
  public Interval drain() {
    long[] buckets = new long[LatencyHistogram.BUCKETS];
    latency.drainInto(buckets);
    return new Interval(success.sumThenReset(), failure.sumThenReset(), timeout.sumThenReset(),
        cancelled.sumThenReset(), buckets);
  }

  /** One endpoint's attempts over one report interval. */
  public record Interval(long success, long failure, long timeout, long cancelled, long[] latency) {
    public long attempts() {
      return success + failure + timeout + cancelled;
    }
  }
}

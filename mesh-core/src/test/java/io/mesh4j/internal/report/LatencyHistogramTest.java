package io.mesh4j.internal.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.Outcome;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

  @Test
  void everyLatencyFallsInTheBucketWhoseBoundsHoldIt() {
    long[] micros = {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 999, 1_000, 1_023, 1_024, 1_279, 1_280, 123_456, 2_000_000,
        (1L << 36) - 1};
    for (long m : micros) {
      int b = LatencyHistogram.bucket(m * 1_000);
      assertThat(LatencyHistogram.lowerMicros(b)).as("lower bound of %d us", m).isLessThanOrEqualTo(m);
      assertThat(LatencyHistogram.upperMicros(b)).as("upper bound of %d us", m).isGreaterThan(m);
      assertThat(LatencyHistogram.upperMicros(b)).as("at most 25%% wide").isLessThanOrEqualTo(
          Math.max(m + 1, (long) Math.ceil(LatencyHistogram.lowerMicros(b) * 1.25)));
    }
    assertThat(LatencyHistogram.bucket(Long.MAX_VALUE)).isEqualTo(LatencyHistogram.BUCKETS - 1);
    assertThat(LatencyHistogram.bucket(-5)).isZero();
  }

  @Test
  void bucketsAreContiguousAndFoundByTheirUpperBound() {
    for (int i = 0; i < LatencyHistogram.BUCKETS - 1; i++) {
      assertThat(LatencyHistogram.upperMicros(i)).isEqualTo(LatencyHistogram.lowerMicros(i + 1));
      assertThat(LatencyHistogram.bucketOfUpper(LatencyHistogram.upperMicros(i))).isEqualTo(i);
    }
    assertThat(LatencyHistogram.bucketOfUpper(1_100)).as("not a bound").isEqualTo(-1);
    assertThat(LatencyHistogram.bucketOfUpper(0)).isEqualTo(-1);
  }

  @Test
  void quantilesAreTheUpperBoundOfTheBucketTheRankFallsIn() {
    LatencyHistogram h = new LatencyHistogram();
    for (int i = 0; i < 98; i++) {
      h.record(1_000_000); // 1 ms: bucket [896, 1024) us
    }
    h.record(50_000_000); // 50 ms
    h.record(50_000_000);
    long[] counts = new long[LatencyHistogram.BUCKETS];
    assertThat(h.drainInto(counts)).isEqualTo(100);
    assertThat(LatencyHistogram.quantileMicros(counts, 0.5)).isEqualTo(1_024);
    assertThat(LatencyHistogram.quantileMicros(counts, 0.98)).isEqualTo(1_024);
    assertThat(LatencyHistogram.quantileMicros(counts, 0.99)).isEqualTo(57_344); // [49152, 57344)
    assertThat(LatencyHistogram.quantileMicros(new long[LatencyHistogram.BUCKETS], 0.5)).isEqualTo(-1);

    long[] again = new long[LatencyHistogram.BUCKETS];
    assertThat(h.drainInto(again)).as("drained: reset").isZero();
  }

  @Test
  void histogramsMergeByAddingCounts() {
    LatencyHistogram a = new LatencyHistogram();
    LatencyHistogram b = new LatencyHistogram();
    for (int i = 0; i < 50; i++) {
      a.record(2_000_000);
      b.record(8_000_000);
    }
    long[] merged = new long[LatencyHistogram.BUCKETS];
    a.drainInto(merged);
    b.drainInto(merged);
    assertThat(LatencyHistogram.quantileMicros(merged, 0.5)).isEqualTo(2_048);
    assertThat(LatencyHistogram.quantileMicros(merged, 0.51)).isEqualTo(8_192);
  }

  @Test
  void trafficCountersCountOutcomesAndLeaveCancelledAttemptsOutOfTheLatencies() {
    TrafficCounters t = new TrafficCounters();
    t.record(Outcome.SUCCESS, 1_000_000);
    t.record(Outcome.SUCCESS, 1_000_000);
    t.record(Outcome.FAILURE, 2_000_000);
    t.record(Outcome.TIMEOUT, 900_000_000);
    t.record(Outcome.CANCELLED, 5_000_000);
    TrafficCounters.Interval i = t.drain();
    assertThat(i.attempts()).isEqualTo(5);
    assertThat(new long[] {i.success(), i.failure(), i.timeout(), i.cancelled()}).containsExactly(2, 1, 1, 1);
    assertThat(java.util.Arrays.stream(i.latency()).sum()).isEqualTo(4);
    assertThat(t.drain().attempts()).as("reset by the drain").isZero();
  }
}

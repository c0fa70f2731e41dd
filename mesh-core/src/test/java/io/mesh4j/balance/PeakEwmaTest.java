package io.mesh4j.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.mesh4j.discovery.Endpoint;
import org.junit.jupiter.api.Test;

/** The peak-EWMA cost kept by {@link EndpointStats}: observe, ewmaNanos and peakEwmaLoad. */
class PeakEwmaTest {
  private static final double TAU = 10e9; // 10 s
  private static final double MS = 1e6;
  private static final double RELATIVE = 1e-6;

  private static EndpointStats stats(double seedNanos, long now) {
    return new EndpointStats(Endpoint.of("10.0.0.1", 8080), seedNanos, now);
  }

  private static void assertRelative(double actual, double expected) {
    assertThat(actual).isCloseTo(expected, within(Math.abs(expected) * RELATIVE));
  }

  @Test
  void newEndpointStartsAtTheSeedRttNotZero() {
    EndpointStats e = stats(30 * MS, 1_000);

    assertThat(e.ewmaNanos(1_000, TAU)).isEqualTo(30 * MS);
    assertThat(e.peakEwmaLoad(1_000, TAU)).isEqualTo(30 * MS);
    assertThat(e.pending()).isZero();
    assertThat(e.requests()).isZero();
  }

  @Test
  void sampleAboveTheCostReplacesItAtOnce() {
    EndpointStats e = stats(30 * MS, 0);

    e.observe((long) (100 * MS), 1, TAU); // 1 ns later: a blend would barely move
    assertThat(e.ewmaNanos(1, TAU)).isEqualTo(100 * MS);

    e.observe((long) (250 * MS), 2, TAU);
    assertThat(e.ewmaNanos(2, TAU)).isEqualTo(250 * MS);
  }

  @Test
  void lowerSampleIsBlendedInWithWeightOneMinusExpOfElapsedOverTau() {
    EndpointStats e = stats(100 * MS, 0);
    long half = (long) (TAU / 2);

    e.observe((long) (10 * MS), half, TAU);

    double w = Math.exp(-0.5);
    assertRelative(e.ewmaNanos(half, TAU), 100 * MS * w + 10 * MS * (1 - w));
  }

  @Test
  void lowerSampleAtTheSameInstantChangesNothing() {
    EndpointStats e = stats(100 * MS, 5_000);

    e.observe((long) (1 * MS), 5_000, TAU); // elapsed 0: weight 1 - exp(0) = 0

    assertThat(e.ewmaNanos(5_000, TAU)).isEqualTo(100 * MS);
  }

  @Test
  void lowerSamplesPullTheCostDownGraduallyNotAtOnce() {
    EndpointStats e = stats(100 * MS, 0);
    long step = (long) (TAU / 100); // each sample weighs 1 - exp(-0.01) ~ 1 %
    double previous = 100 * MS;
    double expected = 100 * MS;
    for (int i = 1; i <= 50; i++) {
      long now = i * step;
      e.observe((long) (10 * MS), now, TAU);
      double cost = e.ewmaNanos(now, TAU);
      double w = Math.exp(-(double) step / TAU);
      expected = expected * w + 10 * MS * (1 - w);
      assertRelative(cost, expected);
      assertThat(cost).isLessThan(previous).isGreaterThan(10 * MS);
      previous = cost;
    }
    // After 50 steps (half a tau) the cost has covered 1 - exp(-0.5) ~ 39 % of the way to 10 ms.
    assertRelative(previous, 10 * MS + 90 * MS * Math.exp(-0.5));
  }

  @Test
  void withoutSamplesTheCostDecaysAsExpOfMinusTOverTau() {
    long start = 7_000_000_000L;
    EndpointStats e = stats(0, start);
    e.observe((long) (80 * MS), start, TAU);

    assertThat(e.ewmaNanos(start, TAU)).isEqualTo(80 * MS);
    assertRelative(e.ewmaNanos(start + (long) TAU, TAU), 80 * MS * Math.exp(-1));
    assertRelative(e.ewmaNanos(start + 2 * (long) TAU, TAU), 80 * MS * Math.exp(-2));
    assertRelative(e.ewmaNanos(start + (long) (TAU / 4), TAU), 80 * MS * Math.exp(-0.25));
    // Reading is not observing: the stored value did not move.
    assertThat(e.ewmaNanos(start, TAU)).isEqualTo(80 * MS);
  }

  @Test
  void readingBeforeTheLastSampleDoesNotInflateTheCost() {
    EndpointStats e = stats(50 * MS, 1_000_000);

    assertThat(e.ewmaNanos(0, TAU)).isEqualTo(50 * MS);
  }

  @Test
  void decayUsesTheTauItIsGiven() {
    EndpointStats e = stats(40 * MS, 0);
    long oneSecond = 1_000_000_000L;

    assertRelative(e.ewmaNanos(oneSecond, 1e9), 40 * MS * Math.exp(-1));
    assertRelative(e.ewmaNanos(oneSecond, 2e9), 40 * MS * Math.exp(-0.5));
  }

  @Test
  void loadIsEwmaTimesPendingPlusOne() {
    EndpointStats e = stats(2 * MS, 0);
    assertThat(e.peakEwmaLoad(0, TAU)).isEqualTo(2 * MS);

    e.onStart();
    e.onStart();
    e.onStart();
    assertThat(e.pending()).isEqualTo(3);
    assertThat(e.peakEwmaLoad(0, TAU)).isEqualTo(8 * MS);

    e.onFinish(false, true);
    assertThat(e.pending()).isEqualTo(2);
    assertThat(e.peakEwmaLoad(0, TAU)).isEqualTo(6 * MS);

    long tau = (long) TAU;
    assertThat(e.peakEwmaLoad(tau, TAU)).isCloseTo(2 * MS * Math.exp(-1) * 3, withinPercentage(1e-4));
  }

  @Test
  void loadHasAFloorOfOneMicrosecondSoPendingStillCounts() {
    EndpointStats e = stats(5 * MS, 0);
    long longIdle = 100 * (long) TAU; // exp(-100): the EWMA is ~0

    assertThat(e.ewmaNanos(longIdle, TAU)).isLessThan(1.0);
    assertThat(e.peakEwmaLoad(longIdle, TAU)).isEqualTo(1_000.0);

    e.onStart();
    e.onStart();
    assertThat(e.peakEwmaLoad(longIdle, TAU)).isEqualTo(3_000.0);

    EndpointStats zeroSeed = stats(0, 0);
    assertThat(zeroSeed.peakEwmaLoad(0, TAU)).isEqualTo(1_000.0);
  }

  @Test
  void finishCountsRequestsFailuresAndConsecutiveFailures() {
    EndpointStats e = stats(MS, 0);
    for (int i = 0; i < 4; i++) {
      e.onStart();
    }

    assertThat(e.onFinish(true, true)).isEqualTo(1);
    assertThat(e.onFinish(true, true)).isEqualTo(2);
    assertThat(e.onFinish(true, false)).as("an uncounted outcome leaves the streak alone").isEqualTo(2);
    assertThat(e.onFinish(false, true)).isZero();

    assertThat(e.pending()).isZero();
    assertThat(e.requests()).isEqualTo(3);
    assertThat(e.failures()).isEqualTo(2);
    assertThat(e.consecutiveFailures()).isZero();
  }
}

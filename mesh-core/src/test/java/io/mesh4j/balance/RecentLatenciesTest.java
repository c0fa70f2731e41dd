package io.mesh4j.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.MeshFixture;
import io.mesh4j.Outcome;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.time.ManualTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RecentLatenciesTest {
  private static final long MS = 1_000_000;

  @Test
  void noPercentileBeforeTwentySamplesThenBothFromOneSnapshot() {
    ManualTicker t = new ManualTicker();
    RecentLatencies l = new RecentLatencies(t);
    assertThat(l.percentileNanos(95)).as("no samples").isEqualTo(-1);
    for (int v = 1; v <= 100; v++) {
      l.record(v * MS);
    }
    t.advance(Duration.ofMillis(RecentLatencies.REFRESH_MILLIS));
    long p50 = l.percentileNanos(50);
    long p95 = l.percentileNanos(95);
    assertThat(p50).isPositive().isLessThan(p95);
    // Inside the refresh window both are read from the same snapshot, even after new samples.
    l.record(1_000 * MS);
    assertThat(l.percentileNanos(95)).isEqualTo(p95);
    assertThat(l.percentileNanos(50)).isEqualTo(p50);
  }

  /**
   * Two threads asking for different percentiles at once always get their own percentile. The cache used
   * to keep the percentile asked for and its value in separate volatiles, so one thread could pair its
   * key with the other's value.
   */
  @Test
  void concurrentReadersOfDifferentPercentilesNeverSeeEachOthersValue() throws Exception {
    ManualTicker ticker = new ManualTicker();
    RecentLatencies l = new RecentLatencies(ticker);
    for (int v = 1; v <= 512; v++) {
      l.record(v * MS); // random slots: some values overwrite others, but p10 < p90 always
    }
    for (int i = 0; i < 20_000; i++) {
      l.record((1 + (i % 512)) * MS);
    }
    ticker.advance(Duration.ofSeconds(1));
    long p10 = l.percentileNanos(10);
    long p90 = l.percentileNanos(90);
    assertThat(p10).isLessThan(p90);
    AtomicReference<String> wrong = new AtomicReference<>();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int p : new int[] {10, 90}) {
      long expected = p == 10 ? p10 : p90;
      Thread th = new Thread(() -> {
        try {
          go.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 200_000 && wrong.get() == null; i++) {
          if ((i & 63) == 0) {
            ticker.advance(Duration.ofMillis(RecentLatencies.REFRESH_MILLIS)); // force refreshes
          }
          long got = l.percentileNanos(p);
          if (got != expected) {
            wrong.compareAndSet(null, "p" + p + " read " + got + " (expected " + expected + ")");
          }
        }
      });
      threads.add(th);
      th.start();
    }
    go.countDown();
    for (Thread th : threads) {
      th.join(60_000);
    }
    assertThat(wrong.get()).isNull();
  }

  /**
   * A service whose policy does not hedge at a percentile still gets samples once something asks for
   * one (a route's or an annotated method's {@code p95}). Before, the runtime sampled only when the
   * service policy hedged at a percentile, so such hedges always fell back to their floor.
   */
  @Test
  void samplingStartsWhenAPercentileIsFirstAskedForWhateverThePolicySays() throws Exception {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.DEFAULT, MeshFixture.endpoints(2))) {
      ServiceRuntime rt = f.runtime();
      assertThat(rt.policy().hedging().percentile()).isZero();
      call(f, rt, 30, 5);
      assertThat(rt.latencyPercentileNanos(95)).as("nobody asked yet: nothing sampled").isEqualTo(-1);
      call(f, rt, 30, 7);
      f.ticker.advance(Duration.ofSeconds(1));
      assertThat(rt.latencyPercentileNanos(95)).isEqualTo(7 * MS);
    }
  }

  private static void call(MeshFixture f, ServiceRuntime rt, int n, long latencyMs) throws Exception {
    for (int i = 0; i < n; i++) {
      EndpointStats e = rt.pick(null, null);
      long start = rt.onStart(e);
      f.ticker.advance(Duration.ofMillis(latencyMs));
      rt.onFinish(e, start, Outcome.SUCCESS);
    }
  }
}

package io.mesh4j.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.MeshFixture;
import io.mesh4j.Outcome;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.ServicePolicy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** P2C over peak-EWMA cost, driven through a ServiceRuntime on a manual clock with seeded randomness. */
class PeakEwmaBalancerTest {
  private static final ServicePolicy POLICY = ServicePolicy.builder().balancer(BalancerAlgorithm.P2C_PEAK_EWMA).build();

  @Test
  void runtimeUsesThePeakEwmaBalancer() throws Exception {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(3))) {
      PickTrace trace = new PickTrace();
      f.runtime().pick(null, trace);
      assertThat(trace.algorithm()).isEqualTo("p2c-peak-ewma");
      assertThat(trace.rival()).isNotNull().isNotSameAs(trace.chosen());
    }
  }

  @Test
  void slowEndpointReceivesFarLessThanItsFairShare() {
    int endpoints = 4;
    int picks = 10_000;
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(endpoints))) {
      String slow = "10.0.0.1:8080";
      // Closed loop: every pick is an attempt whose latency the clock advances by.
      Map<String, Integer> counts = new HashMap<>();
      for (int i = 0; i < picks; i++) {
        EndpointStats e = f.pick();
        counts.merge(e.endpoint().address(), 1, Integer::sum);
        Duration latency = e.endpoint().address().equals(slow) ? Duration.ofMillis(200) : Duration.ofMillis(10);
        f.attempt(e, latency, Outcome.SUCCESS);
      }

      int fairShare = picks / endpoints;
      int slowPicks = counts.getOrDefault(slow, 0);
      assertThat(slowPicks).as("picks of the slow endpoint (fair share %d)", fairShare)
          .isLessThan(fairShare / 20);
      // The slow endpoint is still probed now and then, as its idle cost decays.
      assertThat(slowPicks).isPositive();
      int fastShare = (picks - slowPicks) / (endpoints - 1);
      for (int i = 2; i <= endpoints; i++) {
        assertThat(counts.get("10.0.0." + i + ":8080")).isBetween((int) (fastShare * 0.9), (int) (fastShare * 1.1));
      }
    }
  }

  @Test
  void oneSlowMeasurementAloneKeepsTheEndpointOutOfEveryPair() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(4))) {
      f.attempt(f.stats("10.0.0.1:8080"), Duration.ofMillis(500), Outcome.SUCCESS);

      Map<String, Integer> counts = f.countPicks(10_000);

      // Without time passing, every pair with the slow endpoint goes to the other one.
      assertThat(counts.get("10.0.0.1:8080")).isZero();
      for (int i = 2; i <= 4; i++) {
        assertThat(counts.get("10.0.0." + i + ":8080")).isBetween(3_000, 3_667);
      }
    }
  }

  @Test
  void equalEndpointsShareAboutEqually() {
    int endpoints = 5;
    int picks = 10_000;
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(endpoints))) {
      Map<String, Integer> counts = new HashMap<>();
      for (int i = 0; i < picks; i++) {
        EndpointStats e = f.pick();
        counts.merge(e.endpoint().address(), 1, Integer::sum);
        f.attempt(e, Duration.ofMillis(10), Outcome.SUCCESS);
      }

      assertThat(counts).hasSize(endpoints);
      int fair = picks / endpoints;
      assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween((int) (fair * 0.9), (int) (fair * 1.1)));
    }
  }

  @Test
  void lowerCostWinsEveryPairItIsIn() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(3))) {
      // Samples above the 30 ms seed replace it: costs become 40, 60 and 80 ms.
      f.attempt(f.stats("10.0.0.1:8080"), Duration.ofMillis(40), Outcome.SUCCESS);
      f.attempt(f.stats("10.0.0.2:8080"), Duration.ofMillis(60), Outcome.SUCCESS);
      f.attempt(f.stats("10.0.0.3:8080"), Duration.ofMillis(80), Outcome.SUCCESS);
      int picks = 30_000;

      Map<String, Integer> counts = f.countPicks(picks);

      // Uniform pairs of 3: the cheapest is in 2 of 3 pairs, the middle one wins 1 of 3, the dearest none.
      assertThat(counts.get("10.0.0.1:8080") / (double) picks).isBetween(2 / 3.0 - 0.02, 2 / 3.0 + 0.02);
      assertThat(counts.get("10.0.0.2:8080") / (double) picks).isBetween(1 / 3.0 - 0.02, 1 / 3.0 + 0.02);
      assertThat(counts.get("10.0.0.3:8080")).isZero();
    }
  }

  @Test
  void neverPicksTheAvoidedEndpointWhenThereAreAtLeastTwo() {
    for (int n = 2; n <= 6; n++) {
      try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(n))) {
        EndpointStats avoid = f.stats("10.0.0.1:8080");
        // Make the avoided endpoint the most attractive one (every other has a request in flight),
        // so only "avoid" keeps it out.
        for (EndpointStats e : f.runtime().endpoints()) {
          if (e != avoid) {
            f.runtime().onStart(e);
          }
        }
        Map<EndpointStats, Integer> counts = new HashMap<>();
        for (int i = 0; i < 2_000; i++) {
          counts.merge(f.pick(avoid), 1, Integer::sum);
        }
        assertThat(counts).as("%d endpoints", n).doesNotContainKey(avoid).hasSize(n - 1);
      }
    }
  }

  @Test
  void avoidedEndpointIsStillPickedWhenItIsTheOnlyOne() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(1))) {
      EndpointStats only = f.stats("10.0.0.1:8080");

      assertThat(f.pick(only)).isSameAs(only);
    }
  }

  @Test
  void pendingRequestsSteerPicksAway() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(3))) {
      EndpointStats busy = f.stats("10.0.0.1:8080");
      long s1 = f.runtime().onStart(busy);
      long s2 = f.runtime().onStart(busy);

      Map<String, Integer> whileBusy = f.countPicks(3_000);
      assertThat(whileBusy.get("10.0.0.1:8080")).isZero();
      assertThat(whileBusy.get("10.0.0.2:8080")).isBetween(1_350, 1_650);

      f.runtime().onFinish(busy, s1, Outcome.SUCCESS);
      f.runtime().onFinish(busy, s2, Outcome.SUCCESS);
      Map<String, Integer> idle = f.countPicks(3_000);
      assertThat(idle.get("10.0.0.1:8080")).isBetween(850, 1_150);
    }
  }

  @Test
  void pendingIsWeighedAgainstLatency() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(2))) {
      EndpointStats a = f.stats("10.0.0.1:8080");
      EndpointStats b = f.stats("10.0.0.2:8080");
      f.attempt(b, Duration.ofMillis(50), Outcome.SUCCESS); // b costs ~50 ms, a ~30 ms
      f.runtime().onStart(a);

      // a: 30 ms x 2 = 60 > b: 50 ms x 1
      assertThat(f.pick()).isSameAs(b);

      f.runtime().onStart(b);
      // a: 60 < b: 100
      assertThat(f.pick()).isSameAs(a);
    }
  }

  @Test
  void weightsAreRespectedApproximatelyWithEqualLatencies() {
    List<Endpoint> weighted = List.of(
        Endpoint.of("10.0.0.1", 8080).withWeight(3),
        Endpoint.of("10.0.0.2", 8080),
        Endpoint.of("10.0.0.3", 8080));
    try (MeshFixture f = MeshFixture.create(POLICY, weighted)) {
      int picks = 50_000;

      Map<String, Integer> counts = f.countPicks(picks);

      assertThat(counts.get("10.0.0.1:8080") / (double) picks).isBetween(0.58, 0.62);
      assertThat(counts.get("10.0.0.2:8080") / (double) picks).isBetween(0.18, 0.22);
      assertThat(counts.get("10.0.0.3:8080") / (double) picks).isBetween(0.18, 0.22);
    }
  }
}

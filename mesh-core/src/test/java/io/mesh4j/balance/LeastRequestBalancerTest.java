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

/** P2C over requests in flight. */
class LeastRequestBalancerTest {
  private static final ServicePolicy POLICY =
      ServicePolicy.builder().balancer(BalancerAlgorithm.P2C_LEAST_REQUEST).build();

  private static void start(MeshFixture f, String address, int times) {
    EndpointStats e = f.stats(address);
    for (int i = 0; i < times; i++) {
      f.runtime().onStart(e);
    }
  }

  @Test
  void ofTwoEndpointsTheOneWithFewerPendingIsAlwaysPicked() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(2))) {
      start(f, "10.0.0.1:8080", 2);
      start(f, "10.0.0.2:8080", 1);

      assertThat(f.countPicks(1_000).get("10.0.0.2:8080")).isEqualTo(1_000);
    }
  }

  @Test
  void prefersFewerPendingInEveryPair() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(4))) {
      for (int i = 1; i <= 4; i++) {
        start(f, "10.0.0." + i + ":8080", i - 1); // pending 0, 1, 2, 3
      }
      int picks = 30_000;

      Map<String, Integer> counts = f.countPicks(picks);

      // Of the 6 equally likely pairs, pending 0 wins 3, pending 1 wins 2, pending 2 wins 1, pending 3 none.
      assertThat(counts.get("10.0.0.1:8080") / (double) picks).isBetween(3 / 6.0 - 0.02, 3 / 6.0 + 0.02);
      assertThat(counts.get("10.0.0.2:8080") / (double) picks).isBetween(2 / 6.0 - 0.02, 2 / 6.0 + 0.02);
      assertThat(counts.get("10.0.0.3:8080") / (double) picks).isBetween(1 / 6.0 - 0.02, 1 / 6.0 + 0.02);
      assertThat(counts.get("10.0.0.4:8080")).isZero();
    }
  }

  @Test
  void ignoresLatency() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(2))) {
      f.attempt(f.stats("10.0.0.1:8080"), Duration.ofSeconds(2), Outcome.SUCCESS);

      Map<String, Integer> counts = f.countPicks(10_000);

      assertThat(counts.get("10.0.0.1:8080")).isBetween(4_500, 5_500);
    }
  }

  @Test
  void neverPicksTheAvoidedEndpointWhenThereAreAtLeastTwo() {
    for (int n = 2; n <= 5; n++) {
      try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(n))) {
        EndpointStats avoid = f.stats("10.0.0.1:8080");
        start(f, "10.0.0.2:8080", 5); // the avoided one is the least loaded
        Map<EndpointStats, Integer> counts = new HashMap<>();
        for (int i = 0; i < 2_000; i++) {
          counts.merge(f.pick(avoid), 1, Integer::sum);
        }
        assertThat(counts).as("%d endpoints", n).doesNotContainKey(avoid);
      }
    }
  }

  @Test
  void weightsAreRespectedApproximatelyWhenLoadsAreEqual() {
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

  @Test
  void traceNamesTheAlgorithmAndThePendingCounts() throws Exception {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(2))) {
      start(f, "10.0.0.1:8080", 4);
      PickTrace trace = new PickTrace();

      EndpointStats chosen = f.runtime().pick(null, trace);

      assertThat(chosen.endpoint().address()).isEqualTo("10.0.0.2:8080");
      assertThat(trace.algorithm()).isEqualTo("p2c-least-request");
      assertThat(trace.describe())
          .startsWith("p2c-least-request chose 10.0.0.2:8080 (load 0 pending) over 10.0.0.1:8080 (load 4 pending)")
          .contains("2 of 2 endpoints available");
    }
  }
}

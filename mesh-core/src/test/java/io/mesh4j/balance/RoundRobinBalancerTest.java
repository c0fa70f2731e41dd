package io.mesh4j.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.MeshFixture;
import io.mesh4j.Outcome;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.ServicePolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Weighted round robin. */
class RoundRobinBalancerTest {
  private static final ServicePolicy POLICY = ServicePolicy.builder().balancer(BalancerAlgorithm.ROUND_ROBIN).build();

  private static List<String> sequence(MeshFixture f, int picks) {
    List<String> seq = new ArrayList<>(picks);
    for (int i = 0; i < picks; i++) {
      seq.add(f.pick().endpoint().address());
    }
    return seq;
  }

  @Test
  void equalWeightsCycleExactly() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(3))) {
      List<String> seq = sequence(f, 9);

      assertThat(seq).containsExactly(
          "10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080",
          "10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080",
          "10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080");
    }
  }

  @Test
  void everyCycleContainsEachEndpointExactlyOnce() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(7))) {
      List<String> seq = sequence(f, 7 * 100);
      for (int cycle = 0; cycle < 100; cycle++) {
        assertThat(seq.subList(cycle * 7, cycle * 7 + 7)).doesNotHaveDuplicates().hasSize(7);
      }
    }
  }

  @Test
  void weightsAreRespectedExactly() {
    List<Endpoint> weighted = List.of(
        Endpoint.of("10.0.0.1", 8080).withWeight(3),
        Endpoint.of("10.0.0.2", 8080),
        Endpoint.of("10.0.0.3", 8080));
    try (MeshFixture f = MeshFixture.create(POLICY, weighted)) {
      List<String> seq = sequence(f, 5 * 1_000);

      for (int cycle = 0; cycle < 1_000; cycle++) {
        List<String> window = seq.subList(cycle * 5, cycle * 5 + 5);
        assertThat(window).filteredOn("10.0.0.1:8080"::equals).hasSize(3);
        assertThat(window).filteredOn("10.0.0.2:8080"::equals).hasSize(1);
        assertThat(window).filteredOn("10.0.0.3:8080"::equals).hasSize(1);
      }
    }
  }

  @Test
  void equalButLargerWeightsStillShareEqually() {
    List<Endpoint> weighted = List.of(
        Endpoint.of("10.0.0.1", 8080).withWeight(4),
        Endpoint.of("10.0.0.2", 8080).withWeight(4));
    try (MeshFixture f = MeshFixture.create(POLICY, weighted)) {
      Map<String, Integer> counts = f.countPicks(800);

      assertThat(counts).containsEntry("10.0.0.1:8080", 400).containsEntry("10.0.0.2:8080", 400);
    }
  }

  @Test
  void ignoresLatencyAndPending() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(2))) {
      EndpointStats a = f.stats("10.0.0.1:8080");
      f.attempt(a, Duration.ofSeconds(5), Outcome.SUCCESS);
      for (int i = 0; i < 10; i++) {
        f.runtime().onStart(a);
      }

      Map<String, Integer> counts = f.countPicks(1_000);

      assertThat(counts).containsEntry("10.0.0.1:8080", 500).containsEntry("10.0.0.2:8080", 500);
    }
  }

  @Test
  void avoidedEndpointIsSkippedForTheNextOne() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(3))) {
      EndpointStats first = f.stats("10.0.0.1:8080");

      for (int i = 0; i < 300; i++) {
        assertThat(f.pick(first)).isNotSameAs(first);
      }
    }
  }

  @Test
  void avoidedEndpointIsStillPickedWhenItIsTheOnlyOne() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(1))) {
      EndpointStats only = f.stats("10.0.0.1:8080");

      assertThat(f.pick(only)).isSameAs(only);
      assertThat(f.pick(only)).isSameAs(only);
    }
  }
}

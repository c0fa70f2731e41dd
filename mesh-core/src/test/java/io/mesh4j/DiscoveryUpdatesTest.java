package io.mesh4j;

import static io.mesh4j.MeshFixture.SERVICE;
import static io.mesh4j.MeshFixture.outlierPolicy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.balance.EndpointStats;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.EndpointSet;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.BalancerPolicy;
import io.mesh4j.policy.ServicePolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Endpoint-set updates from discovery: what a ServiceRuntime keeps, drops and creates. */
class DiscoveryUpdatesTest {
  private static final Duration BASE = Duration.ofSeconds(10);
  private static final ServicePolicy POLICY = outlierPolicy(3, BASE, Duration.ofSeconds(100), 50, 50);
  private static final double TAU = POLICY.balancer().decay().toNanos();
  private static final double SEED = POLICY.balancer().defaultRtt().toNanos();

  private static final Endpoint A = Endpoint.of("10.0.0.1", 8080);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 8080);
  private static final Endpoint C = Endpoint.of("10.0.0.3", 8080);
  private static final Endpoint D = Endpoint.of("10.0.0.4", 8080);

  private static List<String> addresses(MeshFixture f) {
    return f.runtime().endpoints().stream().map(e -> e.endpoint().address()).toList();
  }

  @Test
  void replacingTheSetKeepsStatisticsOfAddressesThatRemainAndDropsRemovedOnes() {
    try (MeshFixture f = MeshFixture.create(POLICY, List.of(A, B, C))) {
      EndpointStats a = f.stats(A.address());
      EndpointStats b = f.stats(B.address());
      f.fail(a, 3);
      f.attempt(b, Duration.ofMillis(400), Outcome.SUCCESS);
      assertThat(a.isEjected()).isTrue();

      f.discovery.set(SERVICE, List.of(A, B, D));

      assertThat(addresses(f)).containsExactly(A.address(), B.address(), D.address());
      assertThat(f.stats(A.address())).isSameAs(a);
      assertThat(f.stats(A.address()).isEjected()).isTrue();
      assertThat(f.stats(B.address())).isSameAs(b);
      assertThat(f.stats(B.address()).ewmaNanos(f.ticker.nanoTime(), TAU)).isEqualTo(400e6);
      assertThat(f.stats(D.address()).ewmaNanos(f.ticker.nanoTime(), TAU)).isEqualTo(SEED);
      // A is still out of rotation after the update.
      for (int i = 0; i < 500; i++) {
        assertThat(f.pick()).isNotSameAs(a);
      }
    }
  }

  @Test
  void removedAndReaddedEndpointStartsFresh() {
    try (MeshFixture f = MeshFixture.create(POLICY, List.of(A, B, C))) {
      EndpointStats a = f.stats(A.address());
      f.attempt(a, Duration.ofMillis(400), Outcome.SUCCESS);
      f.fail(a, 3);

      f.discovery.set(SERVICE, List.of(B, C));
      f.discovery.set(SERVICE, List.of(A, B, C));

      EndpointStats again = f.stats(A.address());
      assertThat(again).isNotSameAs(a);
      assertThat(again.isEjected()).isFalse();
      assertThat(again.requests()).isZero();
      assertThat(again.ewmaNanos(f.ticker.nanoTime(), TAU)).isEqualTo(SEED);
    }
  }

  @Test
  void changedWeightKeepsLatencyEjectionAndFailureStreak() {
    try (MeshFixture f = MeshFixture.create(POLICY, List.of(A, B, C, D))) {
      EndpointStats a = f.stats(A.address());
      EndpointStats b = f.stats(B.address());
      f.fail(a, 3); // ejected until t0 + 10 s
      f.attempt(b, Duration.ofMillis(250), Outcome.SUCCESS);
      f.fail(b, 2);
      long now = f.ticker.nanoTime();

      f.discovery.set(SERVICE, List.of(A.withWeight(5), B.withWeight(3), C, D));

      EndpointStats a2 = f.stats(A.address());
      EndpointStats b2 = f.stats(B.address());
      assertThat(a2.endpoint().weight()).isEqualTo(5);
      assertThat(a2.isEjected()).isTrue();
      assertThat(a2.timesEjected()).isEqualTo(1);
      assertThat(a2.ejectedUntilNanos()).isEqualTo(a.ejectedUntilNanos());
      assertThat(b2.endpoint().weight()).isEqualTo(3);
      assertThat(b2.ewmaNanos(now, TAU)).isEqualTo(b.ewmaNanos(now, TAU));
      assertThat(b2.consecutiveFailures()).isEqualTo(2);
      f.fail(b2, 1);
      assertThat(b2.isEjected()).as("third failure in a row, across the update").isTrue();
    }
  }

  @Test
  void ejectionCarriedAcrossAWeightChangeEndsOnTime() {
    try (MeshFixture f = MeshFixture.create(POLICY, List.of(A, B, C, D))) {
      f.fail(f.stats(A.address()), 3);
      f.ticker.advance(Duration.ofSeconds(4));

      f.discovery.set(SERVICE, List.of(A.withWeight(2), B, C, D));
      f.ticker.advance(Duration.ofSeconds(6).minusNanos(1));
      f.pick();
      assertThat(f.stats(A.address()).isEjected()).isTrue();

      f.ticker.advance(Duration.ofNanos(1));
      f.pick();
      assertThat(f.stats(A.address()).isEjected()).isFalse();
    }
  }

  @Test
  void changedWeightKeepsRequestsInFlightAndCounters() {
    try (MeshFixture f = MeshFixture.create(POLICY, List.of(A, B))) {
      EndpointStats a = f.stats(A.address());
      f.attempt(a, Duration.ofMillis(1), Outcome.SUCCESS);
      f.attempt(a, Duration.ofMillis(1), Outcome.FAILURE);
      long s1 = f.runtime().onStart(a);
      long s2 = f.runtime().onStart(a);

      f.discovery.set(SERVICE, List.of(A.withWeight(2), B));

      EndpointStats a2 = f.stats(A.address());
      assertThat(a2.pending()).as("requests still in flight on the endpoint").isEqualTo(2);
      assertThat(a2.requests()).isEqualTo(2);
      assertThat(a2.failures()).isEqualTo(1);
      // The in-flight attempts finish on the handle they started with.
      f.runtime().onFinish(a, s1, Outcome.SUCCESS);
      f.runtime().onFinish(a, s2, Outcome.SUCCESS);
      assertThat(a2.pending()).isZero();
      assertThat(a2.requests()).isEqualTo(4);
    }
  }

  @Test
  void changedWeightTakesEffectInBalancing() {
    ServicePolicy rr = POLICY.toBuilder().balancer(BalancerAlgorithm.ROUND_ROBIN).build();
    try (MeshFixture f = MeshFixture.create(rr, List.of(A, B))) {
      assertThat(f.countPicks(100)).containsEntry(A.address(), 50);

      f.discovery.set(SERVICE, List.of(A.withWeight(3), B));

      assertThat(f.countPicks(100)).containsEntry(A.address(), 75);
    }
  }

  @Test
  void newEndpointsAreSeededWithThePolicyDefaultRtt() {
    ServicePolicy policy = POLICY.toBuilder()
        .balancer(new BalancerPolicy(BalancerAlgorithm.P2C_PEAK_EWMA, Duration.ofSeconds(10), Duration.ofMillis(7)))
        .build();
    try (MeshFixture f = MeshFixture.create(policy, List.of(A))) {
      assertThat(f.stats(A.address()).ewmaNanos(0, TAU)).isEqualTo(7e6);
      f.discovery.set(SERVICE, List.of(A, B));
      assertThat(f.stats(B.address()).ewmaNanos(0, TAU)).isEqualTo(7e6);
    }
  }

  @Test
  void olderEndpointSetRevisionIsIgnored() {
    try (MeshFixture f = MeshFixture.create(POLICY, List.of(A, B))) {
      ServiceRuntime rt = f.runtime();
      rt.onEndpoints(new EndpointSet(SERVICE, 100, List.of(A, B, C)));
      assertThat(addresses(f)).hasSize(3);

      rt.onEndpoints(new EndpointSet(SERVICE, 99, List.of(D)));
      assertThat(addresses(f)).containsExactly(A.address(), B.address(), C.address());

      rt.onEndpoints(new EndpointSet(SERVICE, 101, List.of(D)));
      assertThat(addresses(f)).containsExactly(D.address());
    }
  }

  @Test
  void anEndpointSetOfANewHistoryAppliesWhateverItsRevision() {
    try (MeshFixture f = MeshFixture.create(POLICY, List.of(A, B))) {
      ServiceRuntime rt = f.runtime();
      rt.onEndpoints(new EndpointSet(SERVICE, 100, List.of(A, B, C), "epoch-1"));
      rt.onEndpoints(new EndpointSet(SERVICE, 7, List.of(D), "epoch-2"));
      assertThat(addresses(f)).containsExactly(D.address());
      rt.onEndpoints(new EndpointSet(SERVICE, 6, List.of(A), "epoch-2"));
      assertThat(addresses(f)).containsExactly(D.address());
    }
  }

  @Test
  void emptySetLeavesNoEndpointsAndARefilledSetWorksAgain() throws Exception {
    try (MeshFixture f = MeshFixture.create(POLICY, List.of(A, B))) {
      f.discovery.set(SERVICE, List.of());
      assertThat(f.runtime().endpoints()).isEmpty();
      assertThat(f.runtime().panicMode()).isFalse();
      assertThatThrownBy(() -> f.runtime().pick(null, null))
          .isInstanceOf(NoEndpointsException.class);

      f.discovery.set(SERVICE, List.of(C));
      assertThat(f.pick().endpoint()).isEqualTo(C);
    }
  }

  @Test
  void updatesReachOnlyTheServiceTheyAreFor() {
    try (MeshFixture f = MeshFixture.create(POLICY, List.of(A, B))) {
      f.discovery.set("payments", List.of(C));
      Map<String, Integer> counts = f.countPicks(100);
      assertThat(counts.keySet()).containsExactlyInAnyOrder(A.address(), B.address());
      assertThat(f.mesh.handles("payments")).isTrue();
      assertThat(f.mesh.handles("inventory")).isFalse();
    }
  }

  @Test
  void closedMeshStopsListening() {
    MeshFixture f = MeshFixture.create(POLICY, List.of(A, B));
    ServiceRuntime rt = f.runtime();
    f.close();

    f.discovery.set(SERVICE, List.of(C));

    assertThat(rt.endpoints()).extracting(EndpointStats::endpoint).containsExactly(A, B);
    assertThatThrownBy(() -> f.mesh.service("payments"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }
}

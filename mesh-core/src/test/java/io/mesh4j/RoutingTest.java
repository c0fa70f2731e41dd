package io.mesh4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.balance.EndpointStats;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.InvalidPolicyException;
import io.mesh4j.policy.Route;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Routing in the engine: subsets by labels, splits, stale keys, the running policy kept on bad input. */
class RoutingTest {
  private final StaticPolicySource policies = StaticPolicySource.create();
  private final Mesh mesh = Mesh.builder()
      .discovery(StaticDiscovery.of("svc", List.of(
          Endpoint.of("10.0.0.1", 80).withLabels(Map.of("version", "v1")),
          Endpoint.of("10.0.0.2", 80).withLabels(Map.of("version", "v1")),
          Endpoint.of("10.0.0.3", 80).withLabels(Map.of("version", "v2")))))
      .policies(policies).random(RandomSource.seeded(5)).eventLog(m -> { }).build();

  @Test
  void aRoutedPickStaysInTheSubsetEvenAfterThePolicyChanges() throws Exception {
    policies.put("svc", ServicePolicy.builder()
        .routes(List.of(Route.toSubset("canary", Map.of("x-canary", "true"), Map.of("version", "v2")))).build());
    ServiceRuntime rt = mesh.service("svc");
    RouteKey key = rt.route("GET", "/", h -> h.equals("x-canary") ? "true" : null);
    assertThat(key.route().name()).isEqualTo("canary");
    for (int i = 0; i < 50; i++) {
      EndpointStats e = rt.pick(key, null, null);
      assertThat(e.endpoint().host()).isEqualTo("10.0.0.3");
    }
    assertThat(rt.route("GET", "/", h -> null)).isSameAs(RouteKey.NONE);

    // A push while the call is in flight: its remaining attempts stay in the subset it was routed to
    // (before, a key made under another revision fell back to every endpoint, so a canary call's retry
    // could land on stable).
    policies.put("svc", ServicePolicy.DEFAULT);
    assertThat(key.route().name()).isEqualTo("canary");
    for (int i = 0; i < 50; i++) {
      assertThat(rt.pick(key, null, null).endpoint().host()).isEqualTo("10.0.0.3");
    }
  }

  /**
   * A policy source that delivers another policy under the same revision number: a key made under the
   * first is not taken as an index into the second's routes. The packed-long key trusted the revision
   * number and threw ArrayIndexOutOfBoundsException here.
   */
  @Test
  void aPolicySourceThatReusesARevisionCannotBreakPicks() throws Exception {
    java.util.concurrent.atomic.AtomicReference<java.util.function.Consumer<io.mesh4j.policy.VersionedPolicy>> push =
        new java.util.concurrent.atomic.AtomicReference<>();
    io.mesh4j.policy.PolicySource source = (service, listener) -> {
      push.set(listener);
      return () -> { };
    };
    try (Mesh m = Mesh.builder()
        .discovery(StaticDiscovery.of("svc", List.of(
            Endpoint.of("10.0.0.1", 80).withLabels(Map.of("version", "v1")),
            Endpoint.of("10.0.0.3", 80).withLabels(Map.of("version", "v2")))))
        .policies(source).random(RandomSource.seeded(5)).eventLog(e -> { }).build()) {
      ServiceRuntime rt = m.service("svc");
      push.get().accept(new io.mesh4j.policy.VersionedPolicy("svc", 7, ServicePolicy.builder().routes(List.of(
          Route.toSubset("first", Map.of("x-a", "1"), Map.of("version", "v1")),
          Route.toSubset("second", Map.of("x-b", "1"), Map.of("version", "v2")))).build()));
      RouteKey key = rt.route("GET", "/", h -> h.equals("x-b") ? "1" : null);
      assertThat(key.route().name()).isEqualTo("second");
      push.get().accept(new io.mesh4j.policy.VersionedPolicy("svc", 7, ServicePolicy.builder().routes(List.of(
          Route.toSubset("only", Map.of("x-a", "1"), Map.of("version", "v1")))).build()));
      assertThat(rt.pick(key, null, null).endpoint().host()).isEqualTo("10.0.0.3");
    }
  }

  @Test
  void splitsFollowTheirWeights() {
    policies.put("svc", ServicePolicy.builder().routes(List.of(new Route("split", null, null, null,
        List.of(new Route.Destination(Map.of("version", "v1"), 70), new Route.Destination(Map.of("version", "v2"), 30)),
        null, null))).build());
    ServiceRuntime rt = mesh.service("svc");
    int v2 = 0;
    for (int i = 0; i < 10_000; i++) {
      if (rt.route("GET", "/", h -> null).destination().labels().get("version").equals("v2")) {
        v2++;
      }
    }
    assertThat(v2).isBetween(2_850, 3_150); // 30% +- 3.3 sd
  }

  @Test
  void invalidJsonIsRejectedAndTheRunningPolicyIsKept() {
    policies.putJson("svc", "{\"timeouts\": {\"total\": \"2s\"}}");
    ServiceRuntime rt = mesh.service("svc");
    long revision = rt.policyRevision();
    assertThatThrownBy(() -> policies.putJson("svc", """
        {"timeouts": {"total": "-1s"},
         "routes": [{"name": "a", "destinations": [{"labels": {"v": "1"}, "weight": 60},
                                                   {"labels": {"v": "2"}, "weight": 30}]}],
         "faults": {"abort": {"percent": 120}}}"""))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageContaining("timeouts.total")
        .hasMessageContaining("routes[0].destinations: weights summing to 90 (expected: weights summing to 100)")
        .hasMessageContaining("faults.abort.percent: 120.0 (expected: a percentage 0..100)");
    assertThat(rt.policyRevision()).isEqualTo(revision);
    assertThat(rt.policy().timeouts().total()).hasSeconds(2);
  }
}

package io.mesh4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.HedgePolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.StaticPolicySource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The call plan: one snapshot per call, precedence method over route over service, no per-call allocation. */
class CallPlanTest {
  private static final String POLICY = """
      { "timeouts": { "total": "2s", "perAttempt": "500ms" },
        "retries": { "maxAttempts": 3, "retryOn": [503] },
        "hedging": { "enabled": true, "delay": "40ms" },
        "faults": { "delay": { "percent": 10, "duration": "5ms" } },
        "routes": [
          { "name": "reads", "match": { "methods": ["GET"] }, "destinations": [ { "labels": {} } ],
            "hedging": { "enabled": true, "delay": "30ms" } },
          { "name": "chaos", "match": { "headers": { "x-chaos": "abort" } },
            "destinations": [ { "labels": { "version": "v2" } } ],
            "faults": { "abort": { "percent": 100, "status": 503 } } } ] }""";
  private static final UnaryOperator<String> NO_HEADERS = h -> null;

  private final StaticPolicySource policies = StaticPolicySource.create();
  private final Mesh mesh = Mesh.builder()
      .discovery(StaticDiscovery.of("svc", List.of(
          Endpoint.of("10.0.0.1", 80).withLabels(Map.of("version", "v1")),
          Endpoint.of("10.0.0.3", 80).withLabels(Map.of("version", "v2")))))
      .policies(policies).random(RandomSource.seeded(5)).eventLog(m -> { }).build();

  @Test
  void aPlanResolvesRouteOverServiceAndAllocatesNothingWithoutOverrides() {
    policies.putJson("svc", POLICY);
    ServiceRuntime rt = mesh.service("svc");
    CallPlan plan = rt.plan();
    assertThat(rt.plan()).isSameAs(plan); // made once per revision
    assertThat(plan.service()).isEqualTo("svc");
    assertThat(plan.policyRevision()).isEqualTo(1);
    assertThat(plan.route()).isSameAs(RouteKey.NONE);
    assertThat(plan.hedging().delay()).isEqualTo(Duration.ofMillis(40));
    assertThat(plan.faults().abortPercent()).isZero();
    assertThat(plan.totalTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(plan.totalTimeoutSource()).isEqualTo(CallPlan.POLICY_TOTAL);
    assertThat(plan.perAttemptTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(plan.retryPolicy().maxAttempts()).isEqualTo(3);

    CallPlan reads = rt.route(plan, "GET", "/x", NO_HEADERS);
    assertThat(reads.route().route().name()).isEqualTo("reads");
    assertThat(reads.hedging().delay()).isEqualTo(Duration.ofMillis(30)); // the route's
    assertThat(reads.faults().delayPercent()).isEqualTo(10); // the service's: the route has none
    assertThat(rt.route(plan, "GET", "/y", NO_HEADERS)).isSameAs(reads); // routed plans are made up front

    CallPlan chaos = rt.route(plan, "POST", "/x", h -> h.equals("x-chaos") ? "abort" : null);
    assertThat(chaos.route().route().name()).isEqualTo("chaos");
    assertThat(chaos.faults().abortPercent()).isEqualTo(100);
    assertThat(chaos.hedging().delay()).isEqualTo(Duration.ofMillis(40)); // the service's

    assertThat(rt.route(plan, "POST", "/x", NO_HEADERS)).isSameAs(plan); // no route matched
  }

  @Test
  void aMethodsOverridesWinOverRouteAndServiceAndSurviveRouting() {
    policies.putJson("svc", POLICY);
    ServiceRuntime rt = mesh.service("svc");
    RetryPolicy once = rt.plan().retryPolicy().toBuilder().maxAttempts(1).build();
    CallPlan method = rt.plan().withOverrides(once, HedgePolicy.fixed(Duration.ofMillis(7)), Duration.ofMillis(900),
        "the method's @Timeout");
    CallPlan routed = rt.route(method, "GET", "/x", NO_HEADERS);
    assertThat(routed.route().route().name()).isEqualTo("reads");
    assertThat(routed.hedging().delay()).isEqualTo(Duration.ofMillis(7)); // the method's, over the route's
    assertThat(routed.retryPolicy()).isSameAs(once);
    assertThat(routed.totalTimeout()).isEqualTo(Duration.ofMillis(900));
    assertThat(routed.totalTimeoutSource()).isEqualTo("the method's @Timeout");
    // Routed again (a redirect) to a path no route matches: unrouted, the overrides kept.
    CallPlan again = rt.route(routed, "POST", "/x", NO_HEADERS);
    assertThat(again.route()).isSameAs(RouteKey.NONE);
    assertThat(again.hedging().delay()).isEqualTo(Duration.ofMillis(7));
    assertThat(again.totalTimeout()).isEqualTo(Duration.ofMillis(900));
    // Nothing overridden: the same plan.
    assertThat(rt.plan().withOverrides(null, null, null, null)).isSameAs(rt.plan());
  }

  @Test
  void aPlanIsRoutedWithinItsOwnRevisionAfterAPush() throws Exception {
    policies.putJson("svc", POLICY);
    ServiceRuntime rt = mesh.service("svc");
    CallPlan before = rt.plan();
    policies.putJson("svc", "{ \"retries\": { \"maxAttempts\": 1 } }"); // routes, faults and hedging gone
    assertThat(rt.plan().policyRevision()).isEqualTo(2);

    // A call planned before the push keeps its revision's routes and rules for all its attempts.
    CallPlan chaos = rt.route(before, "POST", "/x", h -> h.equals("x-chaos") ? "abort" : null);
    assertThat(chaos.policyRevision()).isEqualTo(1);
    assertThat(chaos.faults().abortPercent()).isEqualTo(100);
    assertThat(chaos.retryPolicy().maxAttempts()).isEqualTo(3);
    // Its endpoints are found by the destination's labels among today's endpoints.
    for (int i = 0; i < 20; i++) {
      assertThat(rt.pick(chaos.route(), null, null).endpoint().host()).isEqualTo("10.0.0.3");
    }
    // A call planned now has none of it.
    CallPlan now = rt.route(rt.plan(), "POST", "/x", h -> h.equals("x-chaos") ? "abort" : null);
    assertThat(now.route()).isSameAs(RouteKey.NONE);
    assertThat(now.faults().active()).isFalse();
  }
}

package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.Mesh;
import io.mesh4j.NoEndpointsException;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.FaultPolicy;
import io.mesh4j.policy.PolicyCodec;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.Route;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Routes, weighted splits and fault injection against real loopback backends. */
class RoutingIT {
  private TestBackend v1a;
  private TestBackend v1b;
  private TestBackend v2;
  private StaticPolicySource policies;
  private Mesh mesh;
  private OkHttpClient client;

  @BeforeEach
  void start() throws Exception {
    v1a = TestBackend.ok("v1a");
    v1b = TestBackend.ok("v1b");
    v2 = TestBackend.ok("v2");
    StaticDiscovery discovery = StaticDiscovery.of("shop", List.of(
        v1a.endpoint().withLabels(Map.of("version", "v1")),
        v1b.endpoint().withLabels(Map.of("version", "v1")),
        v2.endpoint().withLabels(Map.of("version", "v2", "zone", "b"))));
    policies = StaticPolicySource.create();
    mesh = Mesh.builder().discovery(discovery).policies(policies).random(RandomSource.seeded(11)).build();
    client = MeshOkHttp.client(mesh, new OkHttpClient());
  }

  @AfterEach
  void stop() {
    mesh.close();
    v1a.close();
    v1b.close();
    v2.close();
  }

  private Map<String, Integer> calls(int n, Map<String, String> headers) throws IOException {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Request.Builder b = new Request.Builder().url("http://shop/v1/products/" + i);
      headers.forEach(b::header);
      try (Response r = client.newCall(b.build()).execute()) {
        counts.merge(r.code() == 200 ? r.body().string() : "status " + r.code(), 1, Integer::sum);
      }
    }
    return counts;
  }

  private static int v1(Map<String, Integer> counts) {
    return counts.getOrDefault("v1a", 0) + counts.getOrDefault("v1b", 0);
  }

  @Test
  void aNinetyTenSplitLandsWithinStatisticalTolerance() throws Exception {
    policies.put("shop", PolicyCodec.fromJson("""
        { "routes": [ { "name": "canary",
                        "destinations": [ { "labels": { "version": "v1" }, "weight": 90 },
                                          { "labels": { "version": "v2" }, "weight": 10 } ] } ] }"""));
    Map<String, Integer> counts = calls(3000, Map.of());
    // Binomial(3000, 0.1): sd ~16.4; +-4.5 sd is 300 +- 74.
    assertThat(counts.getOrDefault("v2", 0)).as("%s", counts).isBetween(226, 374);
    assertThat(v1(counts) + counts.getOrDefault("v2", 0)).isEqualTo(3000);

    policies.put("shop", PolicyCodec.fromJson("""
        { "routes": [ { "name": "canary",
                        "destinations": [ { "labels": { "version": "v1" }, "weight": 50 },
                                          { "labels": { "version": "v2" }, "weight": 50 } ] } ] }"""));
    counts = calls(2000, Map.of());
    assertThat(counts.getOrDefault("v2", 0)).as("%s", counts).isBetween(900, 1100);
  }

  @Test
  void headerRoutingIsExactAndTheFirstMatchingRouteWins() throws Exception {
    policies.put("shop", ServicePolicy.builder().routes(List.of(
        Route.toSubset("canary-header", Map.of("X-Canary", "true"), Map.of("version", "v2")),
        new Route("stable", Set.of("GET"), "/v1/", Map.of(), List.of(new Route.Destination(Map.of("version", "v1"), 100)),
            null, null))).build());
    assertThat(calls(200, Map.of("x-canary", "true"))).containsOnlyKeys("v2").containsEntry("v2", 200);
    Map<String, Integer> stable = calls(200, Map.of());
    assertThat(stable).doesNotContainKey("v2");
    assertThat(v1(stable)).isEqualTo(200);
    assertThat(calls(50, Map.of("x-canary", "false"))).doesNotContainKey("v2");
  }

  @Test
  void noMatchingRouteMeansAllEndpoints() throws Exception {
    policies.put("shop", ServicePolicy.builder().routes(List.of(
        Route.toSubset("canary-header", Map.of("x-canary", "true"), Map.of("version", "v2")))).build());
    Map<String, Integer> counts = calls(300, Map.of());
    assertThat(counts).containsKeys("v1a", "v1b", "v2");
  }

  @Test
  void aRouteToLabelsNoEndpointHasFailsWithATypedErrorNamingIt() {
    policies.put("shop", ServicePolicy.builder().routes(List.of(
        Route.toSubset("v3-only", Map.of(), Map.of("version", "v3")))).build());
    assertThatThrownBy(() -> calls(1, Map.of()))
        .isInstanceOf(NoEndpointsException.class)
        .hasMessage("service 'shop': no endpoints match route 'v3-only' destination {version=v3} (discovery: static)");
  }

  @Test
  void abortPercentagesHoldWithinToleranceAndRetriesAbsorbThem() throws Exception {
    policies.put("shop", ServicePolicy.builder().retries(RetryPolicy.disabled())
        .faults(FaultPolicy.abort(20, 503)).build());
    Map<String, Integer> counts = calls(2000, Map.of());
    // Binomial(2000, 0.2): sd ~17.9; +-4.5 sd.
    assertThat(counts.getOrDefault("status 503", 0)).as("%s", counts).isBetween(320, 480);
    int sent = v1a.hits.get() + v1b.hits.get() + v2.hits.get();
    assertThat(sent).as("aborted attempts are never sent").isEqualTo(2000 - counts.get("status 503"));

    // With retries (the default), a 10% abort rate is absorbed within the default budget (20% of
    // requests): ~110 retries for 1000 calls, and P(3 aborts in a row) = 0.1%. (At 20% aborts the budget
    // itself, not luck, would decide: ~240 retries wanted against ~200 allowed.)
    policies.put("shop", ServicePolicy.builder().faults(FaultPolicy.abort(10, 503)).build());
    Map<String, Integer> retried = calls(1000, Map.of());
    assertThat(retried.getOrDefault("status 503", 0)).as("%s", retried).isLessThan(10);
  }

  @Test
  void delaysAreInjectedPerAttemptAndRouteFaultsOverrideTheServices() throws Exception {
    policies.put("shop", ServicePolicy.builder().routes(List.of(new Route("slow-canary", Set.of(), "",
        Map.of("x-canary", "true"), List.of(new Route.Destination(Map.of("version", "v2"), 100)),
        FaultPolicy.delay(100, Duration.ofMillis(50)), null))).build());
    long start = System.nanoTime();
    calls(5, Map.of("x-canary", "true"));
    // A lower bound only (each of the 5 calls waited its 50 ms): it holds however loaded the machine is.
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(250));

    // The service's own faults do not apply to calls the route matched, and the route's do not apply to
    // the others. Shown by outcome, not by timing: a 30 s delay against a 2 s deadline fails any call it
    // touches.
    policies.put("shop", ServicePolicy.builder().faults(FaultPolicy.delay(100, Duration.ofSeconds(30)))
        .routes(List.of(new Route("quick-canary", Set.of(), "", Map.of("x-canary", "true"),
            List.of(new Route.Destination(Map.of("version", "v2"), 100)), FaultPolicy.NONE, null))).build());
    try (io.opentelemetry.context.Scope ignored = io.mesh4j.deadline.Deadline.after(Duration.ofSeconds(2))
        .makeCurrent()) {
      assertThat(calls(3, Map.of("x-canary", "true"))).containsOnlyKeys("v2");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> calls(1, Map.of()))
          .isInstanceOf(io.mesh4j.DeadlineExceededException.class);
    }
  }
}

package io.mesh4j;

import io.mesh4j.balance.EndpointStats;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.OutlierPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.mesh4j.time.ManualTicker;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A deterministic mesh for tests: manual ticker, seeded randomness, static discovery and policies,
 * events collected instead of logged. Shared by the tests of several packages.
 */
public final class MeshFixture implements AutoCloseable {
  public static final String SERVICE = "orders";
  public static final long SEED = 42L;

  public final ManualTicker ticker = new ManualTicker();
  public final StaticDiscovery discovery = StaticDiscovery.create();
  public final StaticPolicySource policies = StaticPolicySource.create();
  public final List<String> events = new CopyOnWriteArrayList<>();
  public final Mesh mesh;

  private MeshFixture(ServicePolicy defaultPolicy, List<Endpoint> endpoints, OpenTelemetry otel) {
    discovery.set(SERVICE, endpoints);
    mesh = Mesh.builder()
        .discovery(discovery)
        .policies(policies)
        .defaultPolicy(defaultPolicy)
        .ticker(ticker)
        .random(RandomSource.seeded(SEED))
        .openTelemetry(otel)
        .eventLog(events::add)
        .build();
  }

  public static MeshFixture create(ServicePolicy defaultPolicy, List<Endpoint> endpoints) {
    return new MeshFixture(defaultPolicy, endpoints, OpenTelemetry.noop());
  }

  public static MeshFixture create(ServicePolicy defaultPolicy, List<Endpoint> endpoints, OpenTelemetry otel) {
    return new MeshFixture(defaultPolicy, endpoints, otel);
  }

  /** {@code n} endpoints 10.0.0.1:8080, 10.0.0.2:8080, ... of weight 1. */
  public static List<Endpoint> endpoints(int n) {
    List<Endpoint> list = new ArrayList<>(n);
    for (int i = 1; i <= n; i++) {
      list.add(Endpoint.of("10.0.0." + i, 8080));
    }
    return list;
  }

  /** The default policy with outlier detection tuned for tests. */
  public static ServicePolicy outlierPolicy(int consecutiveFailures, Duration base, Duration max,
      int maxEjectionPercent, int panicThresholdPercent) {
    return ServicePolicy.builder()
        .outlier(OutlierPolicy.builder()
            .consecutiveFailures(consecutiveFailures)
            .baseEjectionTime(base)
            .maxEjectionTime(max)
            .maxEjectionPercent(maxEjectionPercent)
            .panicThresholdPercent(panicThresholdPercent)
            .build())
        .build();
  }

  public ServiceRuntime runtime() {
    return mesh.service(SERVICE);
  }

  /** The runtime's statistics of {@code address} (host:port). */
  public EndpointStats stats(String address) {
    for (EndpointStats e : runtime().endpoints()) {
      if (e.endpoint().address().equals(address)) {
        return e;
      }
    }
    throw new AssertionError("no endpoint " + address + " in " + runtime().endpoints());
  }

  public EndpointStats pick() {
    return pick(null);
  }

  public EndpointStats pick(EndpointStats avoid) {
    try {
      return runtime().pick(avoid, null);
    } catch (NoEndpointsException e) {
      throw new AssertionError(e);
    }
  }

  /** One attempt on {@code e} that takes {@code latency} on the manual clock and ends with {@code outcome}. */
  public void attempt(EndpointStats e, Duration latency, Outcome outcome) {
    ServiceRuntime rt = runtime();
    long start = rt.onStart(e);
    ticker.advance(latency);
    rt.onFinish(e, start, outcome);
  }

  /** {@code times} instantaneous failed attempts on {@code e}. */
  public void fail(EndpointStats e, int times) {
    for (int i = 0; i < times; i++) {
      attempt(e, Duration.ZERO, Outcome.FAILURE);
    }
  }

  /** How many times each endpoint (by address, in endpoint order) is picked in {@code picks} picks. */
  public Map<String, Integer> countPicks(int picks) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (EndpointStats e : runtime().endpoints()) {
      counts.put(e.endpoint().address(), 0);
    }
    for (int i = 0; i < picks; i++) {
      counts.merge(pick().endpoint().address(), 1, Integer::sum);
    }
    return counts;
  }

  @Override
  public void close() {
    mesh.close();
  }
}

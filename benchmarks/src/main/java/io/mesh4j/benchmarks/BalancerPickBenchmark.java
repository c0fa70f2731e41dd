package io.mesh4j.benchmarks;

import io.mesh4j.Mesh;
import io.mesh4j.Outcome;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.ServicePolicy;
import io.opentelemetry.api.OpenTelemetry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine's cost per request, without any I/O: one balancer pick through
 * {@link ServiceRuntime#pick} (the exact call the OkHttp attempt layer makes), and the full
 * pick + {@code onStart} + {@code onFinish(SUCCESS)} cycle that one successful attempt costs.
 *
 * <p>Targets (issue): at most 100 ns and 0 B per pick, flat in the number of endpoints.
 *
 * <p>Single-threaded: this measures the path length and the allocation, not contention. All
 * endpoints have weight 1 (the uniform fast path of the P2C draw and of round robin); no endpoint is
 * ejected. The runtime uses the system ticker and thread-local randomness, as in production.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BalancerPickBenchmark {

  @Param({"3", "100", "1000"})
  public int endpoints;

  @Param({"p2c-peak-ewma", "p2c-least-request", "round-robin"})
  public String algorithm;

  private Mesh mesh;
  private ServiceRuntime runtime;

  @Setup(Level.Trial)
  public void setUp() {
    BalancerAlgorithm algo = BalancerAlgorithm.fromJsonName(algorithm);
    if (algo == null) {
      throw new IllegalArgumentException("algorithm: " + algorithm + " (expected one of "
          + BalancerAlgorithm.names() + ")");
    }
    List<Endpoint> list = new ArrayList<>(endpoints);
    for (int i = 0; i < endpoints; i++) {
      // 250 hosts per port: distinct host:port for any N.
      list.add(Endpoint.of("10.0.0." + (1 + i % 250), 8080 + i / 250));
    }
    mesh = Mesh.builder()
        .discovery(StaticDiscovery.of("svc", list))
        .defaultPolicy(ServicePolicy.builder().balancer(algo).build())
        .openTelemetry(OpenTelemetry.noop())
        .build();
    runtime = mesh.service("svc");
    if (runtime.endpoints().size() != endpoints) {
      throw new IllegalStateException("expected " + endpoints + " endpoints, runtime has "
          + runtime.endpoints().size());
    }
    if (!runtime.policy().balancer().algorithm().equals(algo)) {
      throw new IllegalStateException("runtime runs " + runtime.policy().balancer().algorithm());
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    mesh.close();
  }

  /** One pick, as the attempt layer calls it when the span is not recording (no decision trace). */
  @Benchmark
  public EndpointStats pick() throws Exception {
    return runtime.pick(null, null);
  }

  /** What one successful attempt costs the engine: pick, mark started, record latency and outcome. */
  @Benchmark
  public EndpointStats pickStartFinish() throws Exception {
    EndpointStats e = runtime.pick(null, null);
    long start = runtime.onStart(e);
    runtime.onFinish(e, start, Outcome.SUCCESS);
    return e;
  }
}

package io.mesh4j.examples.grpc;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.mesh4j.Mesh;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.grpc.MeshGrpc;
import io.mesh4j.policy.StaticPolicySource;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The mesh in a gRPC client, in one screen: three loopback servers of {@code greeter} — {@code fast},
 * {@code slow} (20 ms per call) and {@code doomed} (stopped half-way) — called through
 * {@code MeshGrpc.channel(mesh, "greeter")} by four threads.
 *
 * <ul>
 *   <li>The mesh load balancer (P2C over peak-EWMA latency) sends the slow server far less than its third.</li>
 *   <li>When {@code doomed} stops, calls in flight and new ones are retried on UNAVAILABLE (the policy's
 *       retries, delivered to gRPC as its native service config) and no call fails.</li>
 * </ul>
 *
 * <pre>./mvnw -q -B install -DskipTests &amp;&amp; ./mvnw -q -B -pl examples/grpc exec:java</pre>
 */
public final class GrpcExample {
  private GrpcExample() {}

  /** How long the slow server takes per call in the demo. */
  static final Duration SLOW = Duration.ofMillis(20);
  /** Calls made before counting starts, while the JVM and the connections warm up. */
  static final Duration WARM_UP = Duration.ofMillis(1500);

  /** Calls answered per server (and "(failed)") in each half of the run. */
  public record Result(Map<String, Integer> firstHalf, Map<String, Integer> secondHalf) {}

  public static void main(String[] args) throws Exception {
    Result r = run(Duration.ofSeconds(3), System.out::println);
    System.exit(r.secondHalf().containsKey("(failed)") ? 1 : 0);
  }

  public static Result run(Duration half, Consumer<String> out) throws Exception {
    return run(half, SLOW, out);
  }

  /**
   * Runs the example with the slow server taking {@code slow} per call. The test uses a larger figure
   * than the demo: on a machine so loaded that every call waits tens of milliseconds for a CPU, 20 ms
   * is within the noise and no balancer can tell the slow server from the others.
   */
  public static Result run(Duration half, Duration slow, Consumer<String> out) throws Exception {
    List<Server> servers = new ArrayList<>();
    servers.add(start("fast", Duration.ZERO));
    servers.add(start("slow", slow));
    servers.add(start("doomed", Duration.ZERO));

    // Discovery and policy: static here; from the control plane in production (ControlPlaneClient).
    StaticDiscovery discovery = StaticDiscovery.create();
    List<Endpoint> endpoints = new ArrayList<>();
    for (Server s : servers) {
      endpoints.add(Endpoint.of("127.0.0.1", s.getPort()));
    }
    discovery.set("greeter", endpoints);
    StaticPolicySource policies = StaticPolicySource.create();
    // The balancer's latency memory (peak-EWMA decay) is 10 s by default: right for a service that runs
    // for days, too long for a demo of a few seconds, where the slow first calls of a cold JVM would
    // still be remembered at the end. 500 ms lets them fade during the warm-up.
    policies.putJson("greeter", """
        { "timeouts": { "total": "1s" },
          "balancer": { "decay": "500ms" },
          "retries":  { "maxAttempts": 3, "retryOn": [503, 499] } }""");

    out.accept("greeter: 3 servers on loopback - 'fast', 'slow' (answers after " + slow.toMillis()
        + " ms) and 'doomed' (stopped half-way); 4 threads call through the mesh channel.");
    out.accept("watch: 'slow' gets only the occasional probe, and stopping 'doomed' fails no call.");
    try (Mesh mesh = Mesh.builder().discovery(discovery).policies(policies).eventLog(out).build()) {
      ManagedChannel channel = MeshGrpc.channel(mesh, "greeter");   // the one line
      try {
        // Not counted: connections, class loading and JIT make the first calls slow on every server.
        callFor(channel, WARM_UP);
        Map<String, Integer> first = callFor(channel, half);
        out.accept("first half:  " + first);
        out.accept("stopping 'doomed'");
        servers.get(2).shutdownNow();
        Map<String, Integer> second = callFor(channel, half);
        out.accept("second half: " + second);
        int total = first.values().stream().mapToInt(Integer::intValue).sum();
        int slowCalls = first.getOrDefault("slow", 0);
        out.accept(String.format(java.util.Locale.ROOT, "verdict: 'slow' answered %d of %d calls (%.1f%%, a third"
            + " under round robin); %s", slowCalls, total, 100.0 * slowCalls / Math.max(total, 1),
            second.containsKey("(failed)") ? second.get("(failed)") + " calls failed after 'doomed' stopped"
                : "no call failed after 'doomed' stopped"));
        return new Result(first, second);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      for (Server s : servers) {
        s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static Server start(String name, Duration delay) throws java.io.IOException {
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(Greeter.service(name, delay))
        .build()
        .start();
  }

  /** Four threads calling for {@code duration}; counts answers by the server named in the reply. */
  private static Map<String, Integer> callFor(ManagedChannel channel, Duration duration) throws Exception {
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    long end = System.nanoTime() + duration.toNanos();
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        done.add(callers.submit(() -> {
          for (int i = 0; i < 100_000 && System.nanoTime() < end; i++) {
            String who;
            try {
              String reply = ClientCalls.blockingUnaryCall(channel, Greeter.HELLO, CallOptions.DEFAULT, "mesh");
              who = reply.substring(reply.lastIndexOf(' ') + 1);
            } catch (StatusRuntimeException e) {
              who = "(failed)";
            }
            counts.computeIfAbsent(who, k -> new AtomicInteger()).incrementAndGet();
          }
        }));
      }
      for (Future<?> f : done) {
        f.get(duration.toMillis() + 30_000, TimeUnit.MILLISECONDS);
      }
    } finally {
      callers.shutdownNow();
    }
    Map<String, Integer> result = new TreeMap<>();
    counts.forEach((k, v) -> result.put(k, v.get()));
    return result;
  }
}

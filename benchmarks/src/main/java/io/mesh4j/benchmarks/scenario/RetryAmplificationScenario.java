package io.mesh4j.benchmarks.scenario;

import com.sun.net.httpserver.Headers;
import io.mesh4j.Mesh;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.breaker.CircuitOpenException;
import io.mesh4j.http.MeshHeaders;
import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.policy.CircuitBreakerPolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Scenario {@code retry-amplification}: how many requests reach a backend that fails everything (503),
 * per request sent by the top client, with naive retries and with retry budgets, through one layer
 * (client -> backend) and through a chain of three mesh services (client -> S1 -> S2 -> S3 -> backend).
 *
 * <p>Each Si is a loopback {@link com.sun.net.httpserver.HttpServer} with its own {@link Mesh} and mesh
 * client (its own retry budget, as separate processes would have). Its handler inherits the caller's
 * deadline from the {@code mesh-timeout-ms} header, calls the next hop, and answers with the status it
 * got; when the variant says so it also copies the {@value MeshHeaders#NO_RETRY} header onto its answer.
 * That header is the give-up marker: the mesh client of S3 sets it when it stops retrying, and a mesh
 * client that receives it does not retry, so retries happen at one layer only instead of multiplying.
 */
final class RetryAmplificationScenario {
  private static final byte[] FAILED = "unavailable".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] OK = "ok".getBytes(StandardCharsets.US_ASCII);
  private static final TextMapGetter<Headers> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Headers carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Headers carrier, String key) {
      return carrier == null ? null : carrier.getFirst(key);
    }
  };

  /** The scenario's parameters (printed with the results). */
  record Config(double ratePerSecond, int workers, Duration duration, Duration timeout) {
    static Config of(boolean quick) {
      return new Config(500, 32, quick ? Duration.ofSeconds(2) : Duration.ofSeconds(5), Duration.ofSeconds(5));
    }
  }

  /**
   * @param hops        mesh services between the top client and the failing backend (0 or 3)
   * @param relayMarker whether each service copies {@value MeshHeaders#NO_RETRY} onto its own answer
   * @param breaker     whether the circuit breaker is on (the default) at every mesh of the variant; off,
   *                    the variant measures retries alone
   * @param failPercent the share of requests the backend fails (503): 100, or 20 at random (seeded) to
   *                    check that retries still cure independent failures
   */
  record Variant(String label, int hops, RetryPolicy retries, boolean relayMarker, boolean breaker,
      int failPercent) {
    Variant(String label, int hops, RetryPolicy retries, boolean relayMarker, boolean breaker) {
      this(label, hops, retries, relayMarker, breaker, 100);
    }
  }

  /**
   * What one variant measured; {@code received[i]} is what S(i+1) received, the last entry the backend.
   * {@code circuitOpen[0]} is the calls of the top client that failed fast with {@link CircuitOpenException},
   * {@code circuitOpen[i]} those of S(i)'s client.
   */
  record Row(Variant variant, LoadGenerator.Result result, long[] received, long[] circuitOpen) {
    long backendReceived() {
      return received[received.length - 1];
    }

    double loadFactor() {
      return result.requests() == 0 ? 0 : (double) backendReceived() / result.requests();
    }
  }

  /** 3 attempts, a budget that never runs out in these runs, a ~1 ms backoff. */
  static final RetryPolicy NAIVE = RetryPolicy.builder().maxAttempts(3)
      .budget(100, 10_000, Duration.ofSeconds(10))
      .backoff(Duration.ofMillis(1), Duration.ofMillis(1))
      .build();
  /** The defaults: 3 attempts, 20% of requests + 10/s over 10 s, backoff 25 ms .. 250 ms. */
  static final RetryPolicy BUDGETED = RetryPolicy.DEFAULT;
  /** The breaker off: retries measured alone. */
  static final CircuitBreakerPolicy BREAKER_OFF = CircuitBreakerPolicy.builder().enabled(false).build();
  /** Not a default: the same with a 10% budget, for reference against the 1.1x target. */
  static final RetryPolicy BUDGETED_10 = RetryPolicy.builder().budget(10, 10, Duration.ofSeconds(10)).build();

  static List<Variant> variants() {
    return List.of(
        new Variant("naive", 0, NAIVE, true, false),
        new Variant("budgeted (defaults)", 0, BUDGETED, true, false),
        new Variant("budgeted 10% + 10/s (not a default) ²", 0, BUDGETED_10, true, false),
        new Variant("all defaults (breaker on)", 0, BUDGETED, true, true),
        new Variant("naive, marker not relayed", 3, NAIVE, false, false),
        new Variant("naive, marker relayed", 3, NAIVE, true, false),
        new Variant("budgeted (defaults), marker not relayed", 3, BUDGETED, false, false),
        new Variant("budgeted (defaults), marker relayed", 3, BUDGETED, true, false),
        new Variant("all defaults (breaker on), marker relayed", 3, BUDGETED, true, true),
        new Variant("budgeted (defaults), 20% random 503", 0, BUDGETED, true, false, 20),
        new Variant("budgeted (defaults), marker relayed, 20% random 503", 3, BUDGETED, true, false, 20));
  }

  private final Config config;

  RetryAmplificationScenario(Config config) {
    this.config = config;
  }

  List<Row> run() throws IOException, InterruptedException {
    // JIT warm-up of the whole path, on a throwaway topology; counts nothing.
    ScenarioRunner.log("retry-amplification: warm-up");
    runOnce(new Variant("warm-up", 3, BUDGETED, true, false), Duration.ofSeconds(1));
    List<Row> rows = new ArrayList<>();
    for (Variant v : variants()) {
      ScenarioRunner.log("retry-amplification: " + v.label() + ", " + v.hops() + " hops ("
          + config.duration().toSeconds() + " s)");
      Row row = runOnce(v, config.duration());
      ScenarioRunner.log(String.format(Locale.ROOT, "  %d requests (%.0f/s), received %s, load factor %.3f; "
              + "circuit open (top, S1..) %s; errors %s", row.result().requests(), row.result().ratePerSecond(),
          Arrays.toString(row.received()), row.loadFactor(), Arrays.toString(row.circuitOpen()),
          row.result().errors()));
      rows.add(row);
    }
    return rows;
  }

  /** A service of the chain: an HTTP server calling {@code next} through its own mesh client. */
  private final class Hop implements AutoCloseable {
    final Mesh mesh;
    final OkHttpClient base;
    final LoopbackServer server;
    /** Calls of this service's client that failed fast with {@link CircuitOpenException}. */
    final LongAdder circuitOpen = new LongAdder();

    Hop(String name, String next, LoopbackServer nextServer, ServicePolicy policy, boolean relayMarker)
        throws IOException {
      mesh = newMesh(next, nextServer, policy);
      base = newBase();
      OkHttpClient client = MeshOkHttp.client(mesh, base);
      Request request = new Request.Builder().url("http://" + next + "/call").build();
      server = LoopbackServer.start(name, exchange -> {
        try (exchange) {
          exchange.getRequestBody().readAllBytes();
          // What an inbound filter does: inherit the caller's remaining time.
          Context inbound = mesh.telemetry().propagator().extract(Context.root(), exchange.getRequestHeaders(),
              GETTER);
          int status;
          String marker = null;
          try (Scope ignored = inbound.makeCurrent(); Response r = client.newCall(request).execute()) {
            r.body().bytes();
            status = r.code();
            marker = r.header(MeshHeaders.NO_RETRY);
          } catch (CircuitOpenException e) {
            circuitOpen.increment();
            status = 503; // what a service does when its dependency's breaker is open
          } catch (IOException e) {
            status = 504; // deadline passed or next hop unreachable
          }
          if (relayMarker && marker != null) {
            exchange.getResponseHeaders().set(MeshHeaders.NO_RETRY, marker);
          }
          LoopbackServer.respond(exchange, status, FAILED);
        }
      });
    }

    @Override
    public void close() {
      server.close();
      mesh.close();
      closeBase(base);
    }
  }

  private Row runOnce(Variant v, Duration duration) throws IOException, InterruptedException {
    ServicePolicy.Builder builder = ServicePolicy.builder().retries(v.retries()).totalTimeout(config.timeout());
    if (!v.breaker()) {
      builder.circuitBreaker(BREAKER_OFF);
    }
    ServicePolicy policy = builder.build();
    LongAdder topCircuitOpen = new LongAdder();
    java.util.Random random = new java.util.Random(42); // thread-safe; seeded: the same draws each run
    LoopbackServer backend = LoopbackServer.start("failing", exchange -> {
      try (exchange) {
        exchange.getRequestBody().readAllBytes();
        if (v.failPercent() >= 100 || random.nextInt(100) < v.failPercent()) {
          LoopbackServer.respond(exchange, 503, FAILED); // no Retry-After: retries wait their backoff only
        } else {
          LoopbackServer.respond(exchange, 200, OK);
        }
      }
    });
    List<Hop> hops = new ArrayList<>();
    Mesh mesh = null;
    OkHttpClient base = newBase();
    try {
      // Built from the bottom up: S3 calls the backend, S2 calls S3, S1 calls S2.
      String next = "backend";
      LoopbackServer nextServer = backend;
      for (int i = v.hops(); i >= 1; i--) {
        Hop hop = new Hop("s" + i, next, nextServer, policy, v.relayMarker());
        hops.add(0, hop);
        next = "s" + i;
        nextServer = hop.server;
      }
      mesh = newMesh(next, nextServer, policy);
      OkHttpClient client = MeshOkHttp.client(mesh, base);
      Request request = new Request.Builder().url("http://" + next + "/call").build();
      int capacity = (int) Math.min(1_000_000, config.ratePerSecond() * duration.toSeconds() / config.workers() * 2
          + 1_000);
      LoadGenerator.Result r = LoadGenerator.run("retry", config.workers(), config.ratePerSecond(), duration,
          capacity, () -> {
            try (Response response = client.newCall(request).execute()) {
              response.body().bytes();
              return response.isSuccessful();
            } catch (CircuitOpenException e) {
              topCircuitOpen.increment();
              throw e;
            }
          });
      long[] received = new long[hops.size() + 1];
      for (int i = 0; i < hops.size(); i++) {
        received[i] = hops.get(i).server.received();
      }
      received[hops.size()] = backend.received();
      long[] circuitOpen = new long[hops.size() + 1];
      circuitOpen[0] = topCircuitOpen.sum();
      for (int i = 0; i < hops.size(); i++) {
        circuitOpen[i + 1] = hops.get(i).circuitOpen.sum();
      }
      return new Row(v, r, received, circuitOpen);
    } finally {
      if (mesh != null) {
        mesh.close();
      }
      closeBase(base);
      for (Hop h : hops) {
        h.close();
      }
      backend.close();
    }
  }

  private static Mesh newMesh(String service, LoopbackServer server, ServicePolicy policy) {
    return Mesh.builder()
        .discovery(StaticDiscovery.of(service, List.of(server.endpoint())))
        .defaultPolicy(policy)
        .openTelemetry(OpenTelemetry.noop())
        .eventLog(msg -> {}) // the lone endpoint gets ejected (then panic mode uses it anyway): not news here
        .build();
  }

  private OkHttpClient newBase() {
    return new OkHttpClient.Builder()
        .connectionPool(new ConnectionPool(config.workers() * 2, 1, TimeUnit.MINUTES))
        .callTimeout(Duration.ofSeconds(15)) // safety net only; the mesh's deadline comes first
        .build();
  }

  private static void closeBase(OkHttpClient base) {
    base.dispatcher().executorService().shutdown();
    base.connectionPool().evictAll();
  }
}

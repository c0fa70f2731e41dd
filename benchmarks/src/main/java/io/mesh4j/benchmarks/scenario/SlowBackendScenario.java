package io.mesh4j.benchmarks.scenario;

import io.mesh4j.Mesh;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.http.MeshHeaders;
import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.HedgePolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Scenario {@code slow-backend}: the shape of Linkerd's 2016 balancer test ("Beyond Round Robin"),
 * scaled to a 2-core machine. Eleven loopback backends answer after a fixed service time; one of them
 * turns very slow for a window in the middle of the run. The same load — a closed loop of N workers, then
 * an open loop at a fixed rate — is run one variant after the other, through a fresh mesh per variant
 * (fresh endpoint statistics, fresh connections) with a different balancer, and the latency of every
 * request is recorded.
 */
final class SlowBackendScenario {
  static final String SERVICE = "backends";
  /** Every call's total timeout (policy {@code timeouts.total}). */
  static final Duration TIMEOUT = Duration.ofSeconds(1);
  private static final byte[] OK = "ok".getBytes(StandardCharsets.US_ASCII);

  /** The scenario's parameters (printed with the results). */
  record Config(int backends, Duration serviceTime, Duration slowTime, double slowFrom, double slowUntil,
      int workers, Duration duration, Duration warmup, Duration timeout, int closedPasses, double openRate,
      int openThreads) {

    /**
     * Full: 10 s per variant; two closed-loop passes (the second in reverse order, so that drift in the
     * machine's load does not always favour the same variant), then one open-loop pass. Quick: 3 s, one
     * pass of each.
     */
    static Config of(boolean quick) {
      return new Config(11, Duration.ofMillis(1), Duration.ofSeconds(1), 0.30, 0.70, 8,
          quick ? Duration.ofSeconds(3) : Duration.ofSeconds(10),
          quick ? Duration.ofSeconds(1) : Duration.ofSeconds(3), TIMEOUT, quick ? 1 : 2, 2000, 256);
    }
  }

  /**
   * One row of the comparison.
   *
   * @param slow whether backend 0 turns slow during the window
   */
  record Variant(String label, ServicePolicy policy, boolean slow) {}

  /**
   * What one variant measured.
   *
   * @param backendRequests requests all backends received during the variant (attempts, backups included)
   * @param laterAttempts   of those, the ones whose {@value MeshHeaders#ATTEMPT} header was not 1: hedged
   *                        backups (or retries)
   * @param breakerOpened   times the service's circuit breaker went to OPEN (mesh events)
   * @param circuitOpen     calls that failed fast with {@code CircuitOpenException}
   */
  record Row(int variantIndex, boolean open, int pass, Variant variant, LoadGenerator.Result result,
      long slowBackendRequests, long slowWindowRequests, int events, String usage, long backendRequests,
      long laterAttempts, long breakerOpened, long circuitOpen) {}

  /** One backend: a fixed service time, or the slow time while the window is open (when armed). */
  private static final class Backend {
    final LoopbackServer server;
    volatile boolean armed;
    volatile long slowFromNanos;
    volatile long slowUntilNanos;
    final LongAdder slowAnswers = new LongAdder();
    /** Requests received with a {@value MeshHeaders#ATTEMPT} other than 1 (a hedge's backup or a retry). */
    final LongAdder laterAttempts = new LongAdder();

    Backend(int index, Config config) throws IOException {
      long serviceMillis = config.serviceTime().toMillis();
      long slowMillis = config.slowTime().toMillis();
      server = LoopbackServer.start("backend" + index, exchange -> {
        try (exchange) {
          exchange.getRequestBody().readAllBytes();
          String attempt = exchange.getRequestHeaders().getFirst(MeshHeaders.ATTEMPT);
          if (attempt != null && !attempt.equals("1")) {
            laterAttempts.increment();
          }
          long now = System.nanoTime();
          boolean slow = armed && now - slowFromNanos >= 0 && now - slowUntilNanos < 0;
          if (slow) {
            slowAnswers.increment();
          }
          try {
            Thread.sleep(slow ? slowMillis : serviceMillis); // simulated work
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // server shutting down
          }
          LoopbackServer.respond(exchange, 200, OK);
        }
      });
    }
  }

  private final Config config;

  SlowBackendScenario(Config config) {
    this.config = config;
  }

  static List<Variant> variants() {
    return List.of(
        new Variant("all healthy, p2c-peak-ewma (baseline)", policy(BalancerAlgorithm.P2C_PEAK_EWMA).build(), false),
        new Variant("round-robin", policy(BalancerAlgorithm.ROUND_ROBIN).build(), true),
        new Variant("p2c-least-request", policy(BalancerAlgorithm.P2C_LEAST_REQUEST).build(), true),
        new Variant("p2c-peak-ewma", policy(BalancerAlgorithm.P2C_PEAK_EWMA).build(), true),
        new Variant("p2c-peak-ewma + hedging p95 (floor 10 ms) + retries budget ¹",
            policy(BalancerAlgorithm.P2C_PEAK_EWMA)
                .retries(RetryPolicy.DEFAULT)
                .hedging(HedgePolicy.percentile(95, Duration.ofMillis(10)))
                .build(), true));
  }

  /**
   * 1 s total timeout, retries off (balancing compared alone), everything else at its default — the
   * circuit breaker included (on: 50% failures over >= 20 calls in 10 s).
   */
  private static ServicePolicy.Builder policy(BalancerAlgorithm algorithm) {
    return ServicePolicy.builder().totalTimeout(TIMEOUT).retries(RetryPolicy.disabled())
        .balancer(algorithm);
  }

  List<Row> run() throws IOException, InterruptedException {
    List<Backend> backends = new ArrayList<>();
    try {
      for (int i = 0; i < config.backends(); i++) {
        backends.add(new Backend(i, config));
      }
      List<Endpoint> endpoints = backends.stream().map(b -> b.server.endpoint()).toList();

      // JIT warm-up of client, mesh and servers; measured nothing, its mesh is thrown away.
      ServicePolicy warm = policy(BalancerAlgorithm.P2C_PEAK_EWMA).build();
      ScenarioRunner.log("slow-backend: warm-up " + config.warmup().toMillis() + " ms");
      runOnce(endpoints, new Variant("warm-up", warm, false), false, config.warmup(), new ArrayList<>());

      List<Row> rows = new ArrayList<>();
      List<Variant> variants = variants();
      for (int pass = 1; pass <= config.closedPasses() + 1; pass++) {
        boolean open = pass > config.closedPasses();
        for (int k = 0; k < variants.size(); k++) {
          int index = pass % 2 == 1 ? k : variants.size() - 1 - k;
          rows.add(runVariant(backends, endpoints, index, open, open ? 1 : pass, variants.get(index)));
          Thread.sleep(200); // let handlers still sleeping for a cancelled call finish
        }
      }
      rows.sort(Comparator.comparing(Row::open).thenComparingInt(Row::variantIndex).thenComparingInt(Row::pass));
      return rows;
    } finally {
      for (Backend b : backends) {
        b.server.close();
      }
    }
  }

  private Row runVariant(List<Backend> backends, List<Endpoint> endpoints, int index, boolean open, int pass,
      Variant v)
      throws InterruptedException {
    Backend slow = backends.get(0);
    long before = slow.server.received();
    long slowBefore = slow.slowAnswers.sum();
    long allBefore = 0;
    long laterBefore = 0;
    for (Backend b : backends) {
      allBefore += b.server.received();
      laterBefore += b.laterAttempts.sum();
    }
    List<String> events = new ArrayList<>();
    long start = System.nanoTime();
    if (v.slow()) {
      slow.slowFromNanos = start + (long) (config.duration().toNanos() * config.slowFrom());
      slow.slowUntilNanos = start + (long) (config.duration().toNanos() * config.slowUntil());
      slow.armed = true;
    }
    ScenarioRunner.log("slow-backend: " + (open ? "open loop" : "closed loop, pass " + pass) + ", " + v.label()
        + " (" + config.duration().toSeconds() + " s)");
    MachineUsage usage = MachineUsage.start();
    LoadGenerator.Result r;
    try {
      r = runOnce(endpoints, v, open, config.duration(), events);
    } finally {
      slow.armed = false;
    }
    String used = MachineUsage.since(usage);
    Thread.sleep(100); // hedged backups cancelled at the end may still be arriving
    long all = -allBefore;
    long later = -laterBefore;
    for (Backend b : backends) {
      all += b.server.received();
      later += b.laterAttempts.sum();
    }
    long opened;
    synchronized (events) {
      opened = events.stream().filter(e -> e.contains("circuit breaker") && e.contains("-> OPEN")).count();
    }
    long circuitOpen = r.errors().entrySet().stream().filter(e -> e.getKey().startsWith("CircuitOpenException"))
        .mapToLong(java.util.Map.Entry::getValue).sum();
    Row row = new Row(index, open, pass, v, r, slow.server.received() - before, slow.slowAnswers.sum() - slowBefore,
        events.size(), used, all, later, opened, circuitOpen);
    ScenarioRunner.log("  " + r.requests() + " requests, " + r.failed() + " failed, p99.9 "
        + r.p999() + " us, max " + r.max() + " us; backends received " + all + ", attempts >= 2: " + later
        + "; errors " + r.errors() + "; mesh events " + events
        + "; CPU jvm/machine | GC | max stall ms: " + row.usage());
    return row;
  }

  private LoadGenerator.Result runOnce(List<Endpoint> endpoints, Variant v, boolean open, Duration duration,
      List<String> events) throws InterruptedException {
    OkHttpClient base = new OkHttpClient.Builder()
        // Enough idle connections for every calling thread to every backend: OkHttp's default keeps 5 in all.
        .connectionPool(new ConnectionPool((open ? config.openThreads() : config.workers()) * config.backends(), 1,
            TimeUnit.MINUTES))
        .callTimeout(Duration.ofSeconds(5)) // safety net only; the mesh's 1 s deadline comes first
        .build();
    try (Mesh mesh = Mesh.builder()
        .discovery(StaticDiscovery.of(SERVICE, endpoints))
        .defaultPolicy(v.policy())
        .openTelemetry(OpenTelemetry.noop())
        .eventLog(msg -> {
          synchronized (events) {
            events.add(msg);
          }
        })
        .build()) {
      OkHttpClient client = MeshOkHttp.client(mesh, base);
      Request request = new Request.Builder().url("http://" + SERVICE + "/work").build();
      LoadGenerator.Call call = () -> {
        try (Response response = client.newCall(request).execute()) {
          response.body().bytes();
          return response.isSuccessful();
        }
      };
      if (open) {
        return LoadGenerator.openLoop("slow-backend", config.openRate(), duration, config.openThreads(), call);
      }
      // Bound on calls per worker: far above what 1 ms service time allows (<= ~1000/s per worker).
      int capacity = (int) Math.min(5_000_000, duration.toMillis() * 2 + 1_000);
      return LoadGenerator.run("slow-backend", config.workers(), 0, duration, capacity, call);
    } finally {
      base.dispatcher().executorService().shutdown();
      base.connectionPool().evictAll();
    }
  }
}

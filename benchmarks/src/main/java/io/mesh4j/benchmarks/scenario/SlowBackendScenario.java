package io.mesh4j.benchmarks.scenario;

import io.mesh4j.Mesh;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.grpc.MeshGrpc;
import io.mesh4j.http.MeshHeaders;
import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.HedgePolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
 *
 * <p>Two transports, in one run: HTTP/1.1 through the mesh's OkHttp client to eleven JDK HTTP servers, and
 * gRPC (a unary call on a blocking stub, per-call deadline = the total timeout) through
 * {@link MeshGrpc#channel} to eleven grpc-java Netty servers. Both sets of backends live for the whole run;
 * the variants of both transports alternate in every pass, so drift in the machine's load hits both alike.
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

  /** How the calls travel. */
  enum Transport {
    /** {@code MeshOkHttp.client} → JDK {@code HttpServer}s ({@link LoopbackServer}). */
    HTTP("HTTP"),
    /** {@code MeshGrpc.channel} + blocking stub → grpc-java Netty servers ({@link GrpcLoopbackServer}). */
    GRPC("gRPC");

    final String label;

    Transport(String label) {
      this.label = label;
    }
  }

  /**
   * One row of the comparison.
   *
   * @param slow whether backend 0 turns slow during the window (false: the all-healthy baseline of its
   *             transport)
   */
  record Variant(String label, Transport transport, ServicePolicy policy, boolean slow) {}

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
  private abstract static class Backend implements AutoCloseable {
    volatile boolean armed;
    volatile long slowFromNanos;
    volatile long slowUntilNanos;
    final LongAdder slowAnswers = new LongAdder();
    final long serviceMillis;
    final long slowMillis;

    Backend(Config config) {
      serviceMillis = config.serviceTime().toMillis();
      slowMillis = config.slowTime().toMillis();
    }

    /** The service time for a request arriving now (counts it when slow). */
    final long delayNow() {
      long now = System.nanoTime();
      boolean slow = armed && now - slowFromNanos >= 0 && now - slowUntilNanos < 0;
      if (slow) {
        slowAnswers.increment();
      }
      return slow ? slowMillis : serviceMillis;
    }

    abstract Endpoint endpoint();

    /** Requests that reached the backend. */
    abstract long received();

    /** Requests received as a later attempt of a call: a hedge's backup or a retry. */
    abstract long laterAttempts();

    @Override
    public abstract void close();
  }

  /** A JDK HttpServer that sleeps its service time on its own (cached) handler thread. */
  private static final class HttpBackend extends Backend {
    final LoopbackServer server;
    /** Requests received with a {@value MeshHeaders#ATTEMPT} other than 1 (a hedge's backup or a retry). */
    final LongAdder laterAttempts = new LongAdder();

    HttpBackend(int index, Config config) throws IOException {
      super(config);
      server = LoopbackServer.start("backend" + index, exchange -> {
        try (exchange) {
          exchange.getRequestBody().readAllBytes();
          String attempt = exchange.getRequestHeaders().getFirst(MeshHeaders.ATTEMPT);
          if (attempt != null && !attempt.equals("1")) {
            laterAttempts.increment();
          }
          try {
            Thread.sleep(delayNow()); // simulated work
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // server shutting down
          }
          LoopbackServer.respond(exchange, 200, OK);
        }
      });
    }

    @Override
    Endpoint endpoint() {
      return server.endpoint();
    }

    @Override
    long received() {
      return server.received();
    }

    @Override
    long laterAttempts() {
      return laterAttempts.sum();
    }

    @Override
    public void close() {
      server.close();
    }
  }

  /** A grpc-java Netty server answering {@code Work} after its service time, from a timer (no thread held). */
  private static final class GrpcBackend extends Backend {
    final GrpcLoopbackServer server;

    GrpcBackend(int index, Config config) throws IOException {
      super(config);
      server = new GrpcLoopbackServer("grpc-backend" + index, this::delayNow);
    }

    @Override
    Endpoint endpoint() {
      return server.endpoint();
    }

    @Override
    long received() {
      return server.received();
    }

    @Override
    long laterAttempts() {
      return server.laterAttempts.sum();
    }

    @Override
    public void close() {
      server.close();
    }
  }

  private final Config config;
  private final java.util.Set<Transport> transports;

  /** @param transports the transports to run (the variants of the others are left out) */
  SlowBackendScenario(Config config, java.util.Set<Transport> transports) {
    this.config = config;
    this.transports = java.util.EnumSet.copyOf(transports);
  }

  /**
   * The variants, each balancer's HTTP row next to its gRPC row. Hedging at a percentile delay is HTTP only
   * (gRPC's native hedging takes a fixed delay; {@code ServiceConfigs} falls back to the retry policy).
   */
  static List<Variant> variants() {
    List<Variant> list = new ArrayList<>();
    String baseline = "all healthy, p2c-peak-ewma (baseline)";
    for (Transport t : Transport.values()) {
      list.add(new Variant(baseline, t, policy(BalancerAlgorithm.P2C_PEAK_EWMA).build(), false));
    }
    for (BalancerAlgorithm a : List.of(BalancerAlgorithm.ROUND_ROBIN, BalancerAlgorithm.P2C_LEAST_REQUEST,
        BalancerAlgorithm.P2C_PEAK_EWMA)) {
      for (Transport t : Transport.values()) {
        list.add(new Variant(a.jsonName(), t, policy(a).build(), true));
      }
    }
    list.add(new Variant("p2c-peak-ewma + hedging p95 (floor 10 ms) + retries budget ¹", Transport.HTTP,
        policy(BalancerAlgorithm.P2C_PEAK_EWMA)
            .retries(RetryPolicy.DEFAULT)
            .hedging(HedgePolicy.percentile(95, Duration.ofMillis(10)))
            .build(), true));
    return List.copyOf(list);
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
    Map<Transport, List<Backend>> backends = new java.util.EnumMap<>(Transport.class);
    try {
      for (Transport t : transports) {
        List<Backend> list = new ArrayList<>();
        backends.put(t, list);
        for (int i = 0; i < config.backends(); i++) {
          list.add(t == Transport.HTTP ? new HttpBackend(i, config) : new GrpcBackend(i, config));
        }
      }

      // JIT warm-up of clients, mesh and servers, per transport; measured nothing, its mesh is thrown away.
      ServicePolicy warm = policy(BalancerAlgorithm.P2C_PEAK_EWMA).build();
      for (Transport t : transports) {
        ScenarioRunner.log("slow-backend: warm-up " + t.label + " " + config.warmup().toMillis() + " ms");
        runOnce(endpoints(backends.get(t)), new Variant("warm-up", t, warm, false), false, config.warmup(),
            new ArrayList<>());
      }

      List<Row> rows = new ArrayList<>();
      List<Variant> variants = variants().stream().filter(v -> transports.contains(v.transport())).toList();
      for (int pass = 1; pass <= config.closedPasses() + 1; pass++) {
        boolean open = pass > config.closedPasses();
        for (int k = 0; k < variants.size(); k++) {
          int index = pass % 2 == 1 ? k : variants.size() - 1 - k;
          Variant v = variants.get(index);
          rows.add(runVariant(backends.get(v.transport()), index, open, open ? 1 : pass, v));
          Thread.sleep(200); // let handlers still sleeping for a cancelled call finish
        }
      }
      rows.sort(Comparator.comparing(Row::open).thenComparingInt(Row::variantIndex).thenComparingInt(Row::pass));
      return rows;
    } finally {
      for (List<Backend> list : backends.values()) {
        list.forEach(Backend::close);
      }
    }
  }

  private static List<Endpoint> endpoints(List<Backend> backends) {
    return backends.stream().map(Backend::endpoint).toList();
  }

  private Row runVariant(List<Backend> backends, int index, boolean open, int pass, Variant v)
      throws InterruptedException {
    Backend slow = backends.get(0);
    long before = slow.received();
    long slowBefore = slow.slowAnswers.sum();
    long allBefore = 0;
    long laterBefore = 0;
    for (Backend b : backends) {
      allBefore += b.received();
      laterBefore += b.laterAttempts();
    }
    List<String> events = new ArrayList<>();
    long start = System.nanoTime();
    if (v.slow()) {
      slow.slowFromNanos = start + (long) (config.duration().toNanos() * config.slowFrom());
      slow.slowUntilNanos = start + (long) (config.duration().toNanos() * config.slowUntil());
      slow.armed = true;
    }
    ScenarioRunner.log("slow-backend: " + (open ? "open loop" : "closed loop, pass " + pass) + ", "
        + v.transport().label + ", " + v.label() + " (" + config.duration().toSeconds() + " s)");
    MachineUsage usage = MachineUsage.start();
    LoadGenerator.Result r;
    try {
      r = runOnce(endpoints(backends), v, open, config.duration(), events);
    } finally {
      slow.armed = false;
    }
    String used = MachineUsage.since(usage);
    Thread.sleep(100); // hedged backups cancelled at the end may still be arriving
    long all = -allBefore;
    long later = -laterBefore;
    for (Backend b : backends) {
      all += b.received();
      later += b.laterAttempts();
    }
    long opened;
    synchronized (events) {
      opened = events.stream().filter(e -> e.contains("circuit breaker") && e.contains("-> OPEN")).count();
    }
    // HTTP: CircuitOpenException thrown; gRPC: UNAVAILABLE "... circuit open, nothing was sent (...)".
    long circuitOpen = r.errors().entrySet().stream()
        .filter(e -> e.getKey().startsWith("CircuitOpenException") || e.getKey().contains("circuit open"))
        .mapToLong(Map.Entry::getValue).sum();
    Row row = new Row(index, open, pass, v, r, slow.received() - before, slow.slowAnswers.sum() - slowBefore,
        events.size(), used, all, later, opened, circuitOpen);
    ScenarioRunner.log("  " + r.requests() + " requests, " + r.failed() + " failed, p99.9 "
        + r.p999() + " us, max " + r.max() + " us; backends received " + all + ", attempts >= 2: " + later
        + "; errors " + r.errors() + "; mesh events " + events
        + "; CPU jvm/machine | GC | max stall ms: " + row.usage());
    return row;
  }

  private LoadGenerator.Result runOnce(List<Endpoint> endpoints, Variant v, boolean open, Duration duration,
      List<String> events) throws InterruptedException {
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
      return v.transport() == Transport.HTTP ? runHttp(mesh, open, duration) : runGrpc(mesh, v, open, duration);
    }
  }

  private LoadGenerator.Result runHttp(Mesh mesh, boolean open, Duration duration) throws InterruptedException {
    OkHttpClient base = new OkHttpClient.Builder()
        // Enough idle connections for every calling thread to every backend: OkHttp's default keeps 5 in all.
        .connectionPool(new ConnectionPool((open ? config.openThreads() : config.workers()) * config.backends(), 1,
            TimeUnit.MINUTES))
        .callTimeout(Duration.ofSeconds(5)) // safety net only; the mesh's 1 s deadline comes first
        .build();
    try {
      OkHttpClient client = MeshOkHttp.client(mesh, base);
      Request request = new Request.Builder().url("http://" + SERVICE + "/work").build();
      LoadGenerator.Call call = () -> {
        try (Response response = client.newCall(request).execute()) {
          response.body().bytes();
          return response.isSuccessful();
        }
      };
      return load(open, duration, call);
    } finally {
      base.dispatcher().executorService().shutdown();
      base.connectionPool().evictAll();
    }
  }

  /**
   * gRPC: one mesh channel ({@code mesh:///backends}: one subchannel, i.e. one HTTP/2 connection, per
   * backend, shared by all calling threads), a blocking stub, and a deadline per call equal to the policy's
   * total timeout (which the mesh also gives the channel as its service config's method timeout).
   */
  private LoadGenerator.Result runGrpc(Mesh mesh, Variant v, boolean open, Duration duration)
      throws InterruptedException {
    ManagedChannel channel = MeshGrpc.channel(mesh, SERVICE);
    try {
      GrpcLoopbackServer.WorkStub stub = new GrpcLoopbackServer.WorkStub(channel);
      long deadlineNanos = v.policy().timeouts().total().toNanos();
      byte[] request = {'w', 'o', 'r', 'k'};
      LoadGenerator.Call call = () -> {
        try {
          stub.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS).work(request); // throws unless OK
          return true;
        } catch (StatusRuntimeException e) {
          throw new GrpcFailure(e.getStatus());
        }
      };
      return load(open, duration, call);
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * A failed gRPC call, named by its status code and the start of its description (grpc-java appends the
   * stream's whole history to a DEADLINE_EXCEEDED, which would make every failure a key of its own).
   */
  private static final class GrpcFailure extends Exception {
    GrpcFailure(Status status) {
      super(status.getCode() + ": " + shortDescription(status.getDescription()), null, false, false);
    }

    private static String shortDescription(String d) {
      if (d == null) {
        return "";
      }
      int cut = d.indexOf(". Name resolution delay"); // the rest is grpc-java's stream history
      return cut >= 0 ? d.substring(0, cut) : d;
    }
  }

  private LoadGenerator.Result load(boolean open, Duration duration, LoadGenerator.Call call)
      throws InterruptedException {
    if (open) {
      return LoadGenerator.openLoop("slow-backend", config.openRate(), duration, config.openThreads(), call);
    }
    // Bound on calls per worker: far above what 1 ms service time allows (<= ~1000/s per worker).
    int capacity = (int) Math.min(5_000_000, duration.toMillis() * 2 + 1_000);
    return LoadGenerator.run("slow-backend", config.workers(), 0, duration, capacity, call);
  }
}

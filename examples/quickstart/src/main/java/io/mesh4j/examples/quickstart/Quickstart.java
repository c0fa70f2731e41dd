package io.mesh4j.examples.quickstart;

import com.sun.net.httpserver.HttpServer;
import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.BalancerPolicy;
import io.mesh4j.policy.OutlierPolicy;
import io.mesh4j.policy.ServicePolicy;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Three loopback backends behind one logical service, {@code backend}: "fast-1", "slow" (20 ms per
 * request) and "dies" (stopped half-way). A mesh client calls {@code http://backend/work} from four
 * threads; the program prints, per phase, each backend's share of traffic and latency, showing P2C
 * peak-EWMA steering away from the slow one and outlier ejection removing the dead one.
 *
 * <p>Run: {@code ./mvnw -q -pl examples/quickstart -am install -DskipTests && ./mvnw -q -pl
 * examples/quickstart exec:java} (the README has the one-line form). Optional argument: seconds per
 * phase (default 3, max 60).
 */
public final class Quickstart {
  private static final int THREADS = 4;
  /** Calls made before counting starts, while the JVM and the connections warm up. */
  private static final Duration WARM_UP = Duration.ofMillis(1500);

  public static void main(String[] args) throws Exception {
    int phaseSeconds = args.length > 0 ? Math.max(1, Math.min(60, Integer.parseInt(args[0]))) : 3;
    Result result = run(Duration.ofSeconds(phaseSeconds), System.out::println);
    System.out.println();
    System.out.println(result.verdict());
    System.exit(result.ok() ? 0 : 1);
  }

  /** What the run showed, checked by the example's own test. */
  public record Result(Map<String, Integer> phase1, Map<String, Integer> phase2, boolean diesEjected) {
    double share(Map<String, Integer> phase, String backend) {
      int total = phase.values().stream().mapToInt(Integer::intValue).sum();
      return total == 0 ? 0 : phase.getOrDefault(backend, 0) / (double) total;
    }

    public boolean ok() {
      return share(phase1, "slow") < 0.25 && diesEjected && share(phase2, "fast-1") > 0.6;
    }

    String verdict() {
      return String.format(Locale.ROOT, "slow backend got %.0f%% of phase-1 traffic (fair share 33%%); "
              + "dead backend ejected: %s; fast backend carried %.0f%% of phase 2. %s",
          100 * share(phase1, "slow"), diesEjected, 100 * share(phase2, "fast-1"), ok() ? "OK" : "UNEXPECTED");
    }
  }

  /** Runs both phases, printing as it goes. */
  public static Result run(Duration phase, java.util.function.Consumer<String> out) throws Exception {
    return run(phase, 20, out);
  }

  /**
   * Runs both phases with the slow backend taking {@code slowMillis} per request. The test uses a larger
   * figure than the demo: on a machine so loaded that every request waits tens of milliseconds for a CPU,
   * 20 ms is within the noise and no balancer can tell the slow backend from the others.
   */
  public static Result run(Duration phase, int slowMillis, java.util.function.Consumer<String> out)
      throws Exception {
    // The JDK server otherwise leaves Nagle on, and small responses wait ~40 ms for a delayed ACK.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    List<Backend> backends = List.of(new Backend("fast-1", 0), new Backend("slow", slowMillis), new Backend("dies", 0));
    List<Endpoint> endpoints = new ArrayList<>();
    for (Backend b : backends) {
      endpoints.add(Endpoint.of("127.0.0.1", b.port()));
    }
    // The balancer's latency memory (peak-EWMA decay) is 10 s by default: right for a service that runs
    // for days, too long for a demo of a few seconds, where the slow first calls of a cold JVM (hundreds
    // of ms) would still be remembered at the end and make every backend look alike. 500 ms lets them
    // fade during the warm-up below.
    ServicePolicy policy = ServicePolicy.builder()
        .balancer(new BalancerPolicy(BalancerAlgorithm.P2C_PEAK_EWMA, Duration.ofMillis(500),
            BalancerPolicy.DEFAULT.defaultRtt()))
        .totalTimeout(Duration.ofSeconds(2))
        .outlier(OutlierPolicy.builder().consecutiveFailures(3).baseEjectionTime(Duration.ofSeconds(30)).build())
        .build();
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    try (Mesh mesh = Mesh.builder()
        .discovery(StaticDiscovery.of("backend", endpoints))
        .defaultPolicy(policy)
        .eventLog(events::add)
        .build()) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      out.accept("Mesh4j quickstart: service 'backend' = " + describe(backends) + ", " + THREADS
          + " client threads, " + phase.toSeconds() + " s per phase\n");

      out.accept("Warming up for " + WARM_UP.toMillis() + " ms (not counted): connections, class loading and"
          + " JIT make the first calls slow on every backend");
      drive(client, WARM_UP);

      out.accept("Phase 1: all three backends up ('slow' answers in " + slowMillis + " ms, the others at once)");
      Map<String, Stats> p1 = drive(client, phase);
      print(out, p1);

      out.accept("\nPhase 2: 'dies' is stopped; the mesh ejects it after 3 consecutive failures");
      backends.get(2).stop();
      Map<String, Stats> p2 = drive(client, phase);
      print(out, p2);
      events.forEach(e -> out.accept("  event: " + e));

      ServiceRuntime rt = mesh.service("backend");
      out.accept("\nThe mesh's view of 'backend':");
      for (EndpointStats s : rt.endpoints()) {
        out.accept(String.format(Locale.ROOT, "  %-16s %-7s ewma %7.2f ms  requests %6d  failures %4d  %s",
            s.endpoint().address(), nameOf(backends, s.endpoint().port()),
            s.ewmaNanos(mesh.ticker().nanoTime(), rt.policy().balancer().decay().toNanos()) / 1e6,
            s.requests(), s.failures(), s.isEjected() ? "EJECTED" : "in rotation"));
      }
      boolean ejected = rt.endpoints().stream()
          .anyMatch(s -> s.endpoint().port() == backends.get(2).port() && s.isEjected());
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
      return new Result(counts(p1), counts(p2), ejected);
    } finally {
      backends.forEach(Backend::stop);
    }
  }

  private static String nameOf(List<Backend> backends, int port) {
    return backends.stream().filter(b -> b.port() == port).map(Backend::name).findFirst().orElse("?");
  }

  private static String describe(List<Backend> backends) {
    List<String> parts = new ArrayList<>();
    for (Backend b : backends) {
      parts.add(b.name() + "@127.0.0.1:" + b.port());
    }
    return String.join(", ", parts);
  }

  /** Calls the service from {@link #THREADS} threads for {@code duration} (and at most 200k calls). */
  private static Map<String, Stats> drive(OkHttpClient client, Duration duration) throws InterruptedException {
    Map<String, Stats> stats = new ConcurrentHashMap<>();
    long end = System.nanoTime() + duration.toNanos();
    AtomicInteger budget = new AtomicInteger(200_000);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    CountDownLatch done = new CountDownLatch(THREADS);
    Request request = new Request.Builder().url("http://backend/work").build();
    for (int t = 0; t < THREADS; t++) {
      pool.execute(() -> {
        try {
          while (System.nanoTime() < end && budget.decrementAndGet() >= 0) {
            long start = System.nanoTime();
            try (Response r = client.newCall(request).execute()) {
              String who = r.header("X-Backend", "?");
              r.body().string();
              stats.computeIfAbsent(who, k -> new Stats()).record(System.nanoTime() - start, r.isSuccessful());
            } catch (IOException e) {
              stats.computeIfAbsent("(failed)", k -> new Stats()).record(System.nanoTime() - start, false);
            }
          }
        } finally {
          done.countDown();
        }
      });
    }
    done.await(duration.toSeconds() + 30, TimeUnit.SECONDS);
    pool.shutdownNow();
    return stats;
  }

  private static Map<String, Integer> counts(Map<String, Stats> stats) {
    Map<String, Integer> m = new java.util.TreeMap<>();
    stats.forEach((k, v) -> m.put(k, v.count()));
    return m;
  }

  private static void print(java.util.function.Consumer<String> out, Map<String, Stats> stats) {
    int total = stats.values().stream().mapToInt(Stats::count).sum();
    out.accept(String.format(Locale.ROOT, "  %-9s %8s %7s %9s %9s", "backend", "requests", "share", "p50", "p99"));
    new java.util.TreeMap<>(stats).forEach((name, s) -> out.accept(String.format(Locale.ROOT,
        "  %-9s %8d %6.1f%% %7.2fms %7.2fms", name, s.count(), 100.0 * s.count() / Math.max(1, total),
        s.percentile(50) / 1e6, s.percentile(99) / 1e6)));
  }

  /** Latencies of one backend in one phase. */
  private static final class Stats {
    private final List<Long> latencies = new ArrayList<>();

    synchronized void record(long nanos, boolean ok) {
      latencies.add(nanos);
    }

    synchronized int count() {
      return latencies.size();
    }

    synchronized long percentile(int p) {
      if (latencies.isEmpty()) {
        return 0;
      }
      List<Long> sorted = new ArrayList<>(latencies);
      Collections.sort(sorted);
      return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
  }

  /** A loopback HTTP server answering {@code /work} after a fixed delay. */
  private static final class Backend {
    private final String name;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(8);
    private volatile boolean stopped;

    Backend(String name, int delayMillis) throws IOException {
      this.name = name;
      this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      server.createContext("/work", exchange -> {
        try {
          if (delayMillis > 0) {
            Thread.sleep(delayMillis); // the backend's simulated work, not synchronization
          }
          byte[] body = name.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("X-Backend", name);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream os = exchange.getResponseBody()) {
            os.write(body);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          exchange.close();
        }
      });
      server.setExecutor(executor);
      server.start();
    }

    String name() {
      return name;
    }

    int port() {
      return server.getAddress().getPort();
    }

    void stop() {
      if (!stopped) {
        stopped = true;
        server.stop(0);
        executor.shutdownNow();
      }
    }
  }
}

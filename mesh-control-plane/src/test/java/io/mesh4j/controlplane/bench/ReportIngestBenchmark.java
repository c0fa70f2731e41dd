package io.mesh4j.controlplane.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.controlplane.ChildControlPlane;
import io.mesh4j.controlplane.TestControlPlane;
import io.mesh4j.internal.report.LatencyHistogram;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

/**
 * Report ingest on a real control plane in its own JVM ({@code -Xmx256m}, the target heap): {@code N}
 * instances (default 1,000) in 100 services, each reporting 50 destinations of 3 endpoints every 10 s
 * (so 100 gzip reports a second, spread evenly), for {@code seconds} (default 120). Measured: the server
 * process's CPU over the run after a 20 s warm-up (from /proc), its live heap after a full GC at the end,
 * {@code GET /v1/topology?window=10m} latency sampled once a second from here, and failed posts.
 *
 * <pre>
 * ./mvnw -q -B install -DskipTests
 * ./mvnw -q -B -pl mesh-control-plane test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.mesh4j.controlplane.bench.ReportIngestBenchmark -Dexec.args="1000 120"
 * </pre>
 */
public final class ReportIngestBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    int instances = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 120;
    int services = 100;
    SplittableRandom random = new SplittableRandom(7);
    List<byte[]> bodies = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      bodies.add(gzip(JSON.writeValueAsBytes(report(i, services, 50, random))));
    }
    System.out.printf(Locale.ROOT, "%d instances, one gzip report each per 10 s (%.1f KB compressed)%n", instances,
        bodies.get(0).length / 1024.0);
    Path tmp = Files.createTempDirectory("mesh-cp-report-bench");
    Path jar = Path.of("target", "mesh-control-plane.jar");
    if (!Files.exists(jar)) {
      jar = Path.of("mesh-control-plane", "target", "mesh-control-plane.jar");
    }
    List<String> launch = Files.exists(jar) ? List.of("-jar", jar.toString())
        : List.of("-cp", WatcherBenchmark.classpath(), "io.mesh4j.controlplane.Main");
    HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(4)).build();
    try (ChildControlPlane cp = ChildControlPlane.start(tmp.resolve("data"), WatcherBenchmark.serverJvmArgs(), launch,
        List.of())) {
      URI reports = cp.uri().resolve("/v1/reports");
      URI topology = cp.uri().resolve("/v1/topology?window=10m");
      AtomicLong sent = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor();
      long periodMicros = 10_000_000L / instances; // each instance every 10 s
      AtomicLong next = new AtomicLong();
      ticks.scheduleAtFixedRate(() -> {
        byte[] body = bodies.get((int) (next.getAndIncrement() % instances));
        http.sendAsync(HttpRequest.newBuilder(reports).header("Authorization", "Bearer " + TestControlPlane.CLIENT)
                .header("Content-Type", "application/json").header("Content-Encoding", "gzip")
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
            HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
              if (e != null || r.statusCode() != 202) {
                failed.incrementAndGet();
              } else {
                sent.incrementAndGet();
              }
            });
      }, 0, periodMicros, TimeUnit.MICROSECONDS);
      List<Long> queryNanos = Collections.synchronizedList(new ArrayList<>());
      long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      long cpuStart = -1;
      long wallStart = 0;
      while (System.nanoTime() < end) {
        Thread.sleep(1_000); // pacing of the sampled query, not synchronization
        if (cpuStart < 0 && System.nanoTime() > warmupEnd) {
          cpuStart = WatcherBenchmark.cpuNanos(cp.pid());
          wallStart = System.nanoTime();
        }
        long t = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(topology)
            .header("Authorization", "Bearer " + TestControlPlane.CLIENT).build(), HttpResponse.BodyHandlers.ofString());
        if (cpuStart >= 0) {
          queryNanos.add(System.nanoTime() - t);
        }
        if (r.statusCode() != 200) {
          throw new IllegalStateException("topology answered " + r.statusCode() + ": " + r.body());
        }
      }
      long cpu = WatcherBenchmark.cpuNanos(cp.pid()) - cpuStart;
      long wall = System.nanoTime() - wallStart;
      ticks.shutdownNow();
      HttpResponse<String> last = http.send(HttpRequest.newBuilder(topology)
          .header("Authorization", "Bearer " + TestControlPlane.CLIENT).build(), HttpResponse.BodyHandlers.ofString());
      int edges = JSON.readTree(last.body()).path("edges").size();
      List<Long> q = new ArrayList<>(queryNanos);
      Collections.sort(q);
      System.out.println("| instances | reports/s | posted | failed | server CPU (% of one core) | live heap after GC"
          + " | topology edges | topology(10m) p50 / p99 / max |");
      System.out.println("|---:|---:|---:|---:|---:|---:|---:|---|");
      System.out.printf(Locale.ROOT, "| %,d | %.0f | %,d | %,d | %.1f%% | %s | %,d | %.1f / %.1f / %.1f ms |%n",
          instances, instances / 10.0, sent.get(), failed.get(), 100.0 * cpu / wall,
          WatcherBenchmark.heapAfterGc(cp.pid()), edges, WatcherBenchmark.pct(q, 50) / 1e6,
          WatcherBenchmark.pct(q, 99) / 1e6, q.get(q.size() - 1) / 1e6);
    } finally {
      http.executor().ifPresent(e -> ((java.util.concurrent.ExecutorService) e).shutdownNow());
    }
  }

  private static ObjectNode report(int i, int services, int edges, SplittableRandom random) {
    int service = i % services;
    ObjectNode r = JSON.createObjectNode();
    r.put("service", "svc-" + service).put("instance", "i-" + i).put("address", "10.1." + i / 250 + "." + i % 250
        + ":8080").put("version", "0.1.0").put("jvm", "17").put("startedAt", "2026-12-07T00:00:00Z")
        .put("intervalMs", 10_000).put("dropped", 0).put("truncated", 0);
    r.putObject("controlPlane").put("connected", true).put("revision", 1);
    r.putObject("revisions");
    ArrayNode ds = r.putArray("destinations");
    for (int d = 0; d < edges; d++) {
      int callee = (service + 1 + d) % services;
      ObjectNode dest = ds.addObject().put("service", "svc-" + callee).put("retries", 1).put("hedges", 0)
          .put("breaker", "closed");
      ObjectNode latency = dest.putObject("latency").put("firstUpperMicros", LatencyHistogram.upperMicros(40));
      ArrayNode counts = latency.putArray("counts");
      for (int b = 0; b < 12; b++) {
        counts.add(3 + random.nextInt(60));
      }
      ArrayNode eps = dest.putArray("endpoints");
      for (int e = 0; e < 3; e++) {
        eps.addObject().put("address", "10.0." + callee + "." + e + ":8080").put("success", 100)
            .put("failure", 1).put("timeout", 0).put("cancelled", 0).put("ejected", false).put("timesEjected", 0);
      }
    }
    return r;
  }

  private static byte[] gzip(byte[] json) throws java.io.IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(json);
    }
    return out.toByteArray();
  }
}

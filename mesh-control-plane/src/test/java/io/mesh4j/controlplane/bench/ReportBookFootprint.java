package io.mesh4j.controlplane.bench;

import io.mesh4j.controlplane.report.Report;
import io.mesh4j.controlplane.report.ReportBook;
import io.mesh4j.internal.report.LatencyHistogram;
import io.mesh4j.time.ManualTicker;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The report book with ten minutes of data from a big mesh, in process, on a manual clock (so the ten
 * minutes take seconds): heap it retains, CPU per ingested report (parsing excluded: see
 * {@code ReportIngestBenchmark} for the whole server), and topology query latency.
 *
 * <p>Mesh: {@code instances} instances in {@code services} services; each instance reports {@code edges}
 * destinations (services chosen by its service, so an edge is shared by the service's instances), 3
 * endpoints each, latencies spread over 12 histogram buckets; one report per instance per 10 s.
 *
 * <pre>
 * ./mvnw -q -B -pl mesh-control-plane test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.mesh4j.controlplane.bench.ReportBookFootprint -Dexec.args="1000 100 50"
 * </pre>
 */
public final class ReportBookFootprint {
  public static void main(String[] args) {
    int instances = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
    int services = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int edges = args.length > 2 ? Integer.parseInt(args[2]) : 50;
    ManualTicker ticker = new ManualTicker();
    SplittableRandom random = new SplittableRandom(42);
    List<Report> reports = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      reports.add(report(i, services, edges, random));
    }
    long before = usedAfterGc(); // the reports themselves are not the book's
    ReportBook book = new ReportBook(ticker, Duration.ofSeconds(30), s -> 0);
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    long cpuStart = cpu.getCurrentThreadCpuTime();
    int slots = 60;
    for (int slot = 0; slot < slots; slot++) {
      if (slot > 0) {
        ticker.advance(ReportBook.SLOT);
      }
      for (Report r : reports) {
        book.ingest(r);
      }
    }
    long cpuNanos = cpu.getCurrentThreadCpuTime() - cpuStart;
    long after = usedAfterGc();
    System.out.printf("%d instances, %d services, %d edges per report: %d distinct edges%n", instances, services, edges,
        book.topology(Duration.ofMinutes(10)).edges().size());
    System.out.printf("ingest: %d reports, %.1f us CPU per report (100 reports/s: %.2f%% of a core)%n",
        (long) slots * instances, cpuNanos / 1e3 / ((long) slots * instances),
        cpuNanos / 1e9 / ((long) slots * instances) * 100 * 100);
    System.out.printf("heap retained by 10 minutes of reports: %.1f MB%n", (after - before) / 1e6);
    for (Duration w : List.of(Duration.ofMinutes(1), Duration.ofMinutes(10))) {
      long[] t = new long[100];
      for (int i = 0; i < t.length; i++) {
        long s = System.nanoTime();
        book.topology(w);
        t[i] = System.nanoTime() - s;
      }
      Arrays.sort(t);
      System.out.printf("topology(%s): p50 %.1f ms, p99 %.1f ms%n", w, t[49] / 1e6, t[98] / 1e6);
    }
    if (book.ingested() == 0) {
      throw new IllegalStateException("nothing ingested");
    }
  }

  private static Report report(int i, int services, int edges, SplittableRandom random) {
    int service = i % services;
    List<Report.Destination> destinations = new ArrayList<>();
    for (int d = 0; d < edges; d++) {
      int callee = (service + 1 + d) % Math.max(services, edges + 1);
      List<Report.EndpointTraffic> endpoints = new ArrayList<>();
      long[] latency = new long[LatencyHistogram.BUCKETS];
      for (int b = 0; b < 12; b++) {
        latency[40 + b] = 3 + random.nextInt(60);
      }
      for (int e = 0; e < 3; e++) {
        endpoints.add(new Report.EndpointTraffic("10.0." + callee + "." + e + ":8080", 100, 1, 0, 0, false, 0));
      }
      destinations.add(new Report.Destination("svc-" + callee, 1, 0, "closed", latency, endpoints));
    }
    return new Report("svc-" + service, "i-" + i, "10.1.0." + i + ":8080", "0.1.0", "17", "2026-12-07T00:00:00Z",
        Duration.ofSeconds(10), 0, 0, true, 1, Map.of(), destinations);
  }

  private static long usedAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }
}

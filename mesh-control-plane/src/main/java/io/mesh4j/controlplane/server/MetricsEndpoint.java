package io.mesh4j.controlplane.server;

import io.mesh4j.controlplane.report.ReportBook;
import io.mesh4j.controlplane.store.Store;
import io.mesh4j.controlplane.watch.WatchHub;
import io.mesh4j.internal.report.LatencyHistogram;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code GET /metrics}: the control plane's own figures and the mesh's, in the Prometheus text format
 * (version 0.0.4), for an existing Prometheus to scrape.
 *
 * <p>Written by hand rather than through a metrics library: the mesh figures are a snapshot of the report
 * book at scrape time (edges come and go), which a registry of long-lived meters models badly, and the
 * format for counters, gauges and a histogram is a few lines.
 */
final class MetricsEndpoint {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  /** Histogram bounds exported: powers of two from 128 µs to 2^25 µs (about 33 s), bucket bounds all. */
  private static final int FIRST_EXPONENT = 7;
  private static final int LAST_EXPONENT = 25;

  private final Store store;
  private final WatchHub hub;
  private final ReportBook book;
  private final ApiMetrics api;
  private final ConnectionGuard guard;

  MetricsEndpoint(Store store, WatchHub hub, ReportBook book, ApiMetrics api, ConnectionGuard guard) {
    this.store = store;
    this.hub = hub;
    this.book = book;
    this.api = api;
    this.guard = guard;
  }

  void scrape(Exchange ex) {
    ex.query(java.util.Set.of());
    StringBuilder out = new StringBuilder(4096);
    family(out, "mesh_cp_revision", "gauge", "The store's global revision.");
    out.append("mesh_cp_revision ").append(store.revision()).append('\n');
    family(out, "mesh_cp_watchers", "gauge", "Watch (long-poll) requests held now.");
    out.append("mesh_cp_watchers ").append(hub.held()).append('\n');
    family(out, "mesh_cp_requests_total", "counter", "API requests answered, by route, method and status.");
    api.snapshot().forEach((k, n) -> out.append("mesh_cp_requests_total{route=\"").append(escape(k.route()))
        .append("\",method=\"").append(k.method()).append("\",status=\"").append(k.status()).append("\"} ")
        .append(n).append('\n'));
    family(out, "mesh_cp_connections_closed_total", "counter",
        "Connections closed by the server's guard: over the cap per client address, or no request in time.");
    out.append("mesh_cp_connections_closed_total{reason=\"over_address_cap\"} ").append(guard.refusedOverCap())
        .append('\n');
    out.append("mesh_cp_connections_closed_total{reason=\"no_request_in_time\"} ")
        .append(guard.closedWithoutRequest()).append('\n');
    family(out, "mesh_cp_reports_ingested_total", "counter", "Client traffic reports taken in.");
    out.append("mesh_cp_reports_ingested_total ").append(book.ingested()).append('\n');
    List<ReportBook.Client> clients = book.clients();
    family(out, "mesh_cp_reporting_instances", "gauge", "Instances whose reports are current.");
    out.append("mesh_cp_reporting_instances ").append(clients.size()).append('\n');
    family(out, "mesh_cp_stale_instances", "gauge",
        "Reporting instances that run a policy behind the current one for longer than the grace period.");
    out.append("mesh_cp_stale_instances ").append(clients.stream().filter(ReportBook.Client::stale).count())
        .append('\n');
    family(out, "mesh_cp_dropped_reports", "gauge", "Reports the reporting instances could not send, as they last said.");
    long dropped = 0;
    for (ReportBook.Client c : clients) {
      dropped += c.report().dropped();
    }
    out.append("mesh_cp_dropped_reports ").append(dropped).append('\n');

    List<ReportBook.EdgeTotals> totals = book.totals();
    family(out, "mesh_edge_attempts_total", "counter",
        "Attempts from one service to another since the control plane started, by outcome (from client reports).");
    for (ReportBook.EdgeTotals t : totals) {
      for (Map.Entry<String, Long> o : Map.of("success", t.success(), "failure", t.failure(), "timeout",
          t.timeout(), "cancelled", t.cancelled()).entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
        out.append("mesh_edge_attempts_total{").append(edge(t)).append(",outcome=\"").append(o.getKey())
            .append("\"} ").append(o.getValue()).append('\n');
      }
    }
    family(out, "mesh_edge_retries_total", "counter", "Retries sent from one service to another.");
    totals.forEach(t -> out.append("mesh_edge_retries_total{").append(edge(t)).append("} ").append(t.retries())
        .append('\n'));
    family(out, "mesh_edge_hedges_total", "counter", "Hedged (backup) attempts sent from one service to another.");
    totals.forEach(t -> out.append("mesh_edge_hedges_total{").append(edge(t)).append("} ").append(t.hedges())
        .append('\n'));
    family(out, "mesh_edge_latency_seconds", "histogram",
        "Latency of answered and failed attempts from one service to another.");
    for (ReportBook.EdgeTotals t : totals) {
      long[] l = t.latency();
      long cumulative = 0;
      int next = 0;
      double sum = 0;
      for (int e = FIRST_EXPONENT; e <= LAST_EXPONENT; e++) {
        long le = 1L << e;
        for (; next < l.length && LatencyHistogram.upperMicros(next) <= le; next++) {
          cumulative += l[next];
        }
        out.append("mesh_edge_latency_seconds_bucket{").append(edge(t)).append(",le=\"")
            .append(java.math.BigDecimal.valueOf(le).movePointLeft(6).toPlainString()).append("\"} ").append(cumulative).append('\n');
      }
      long count = 0;
      for (int i = 0; i < l.length; i++) {
        count += l[i];
        // The sum is not kept; each sample counts at its bucket's midpoint (at most 12.5% off).
        long upper = LatencyHistogram.upperMicros(i) == Long.MAX_VALUE ? LatencyHistogram.lowerMicros(i)
            : LatencyHistogram.upperMicros(i);
        sum += l[i] * (LatencyHistogram.lowerMicros(i) + upper) / 2e6;
      }
      out.append("mesh_edge_latency_seconds_bucket{").append(edge(t)).append(",le=\"+Inf\"} ").append(count)
          .append('\n');
      out.append("mesh_edge_latency_seconds_sum{").append(edge(t)).append("} ")
          .append(String.format(Locale.ROOT, "%.6f", sum)).append('\n');
      out.append("mesh_edge_latency_seconds_count{").append(edge(t)).append("} ").append(count).append('\n');
    }
    ReportBook.Topology t = book.topology(Duration.ofMinutes(1));
    family(out, "mesh_edge_requests_per_second", "gauge", "Requests per second over the last minute.");
    t.edges().forEach(e -> out.append("mesh_edge_requests_per_second{from=\"").append(e.from()).append("\",to=\"")
        .append(e.to()).append("\"} ").append(String.format(Locale.ROOT, "%.3f", e.requestsPerSecond())).append('\n'));
    ex.send(200, out.toString().getBytes(StandardCharsets.UTF_8), CONTENT_TYPE);
  }

  private static String edge(ReportBook.EdgeTotals t) {
    // Service names are DNS labels (validated on ingest): nothing to escape.
    return "from=\"" + t.edge().from() + "\",to=\"" + t.edge().to() + "\"";
  }

  private static void family(StringBuilder out, String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}

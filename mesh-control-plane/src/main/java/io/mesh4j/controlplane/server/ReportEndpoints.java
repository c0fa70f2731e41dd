package io.mesh4j.controlplane.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.controlplane.report.EventJournal;
import io.mesh4j.controlplane.report.Report;
import io.mesh4j.controlplane.report.ReportBook;
import io.mesh4j.policy.Durations;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * {@code POST /v1/reports} (clients report their traffic), {@code GET /v1/topology}, {@code GET /v1/stats}
 * and {@code GET /v1/clients}.
 */
final class ReportEndpoints {
  /** A report is at most this large once decompressed (a gzip bomb stops here). */
  static final int MAX_REPORT_BYTES = 8 << 20;
  /** A report's body as sent (gzip): a client at its own caps (200 destinations x 100 endpoints) fits. */
  static final int MAX_BODY_BYTES = 4 << 20;
  private final ReportBook book;
  private final EventJournal events;

  ReportEndpoints(ReportBook book, EventJournal events) {
    this.book = book;
    this.events = events;
  }

  /** GET ?since=SEQ&limit=N: {last, missed, events: [{seq, at, kind, service, detail}]}, oldest first. */
  void events(Exchange ex) {
    Query q = ex.query(Set.of("since", "limit"));
    long since = number(q.getValue("since"), 0, 0, Long.MAX_VALUE, "query.since", "an event number, an integer >= 0");
    int limit = (int) number(q.getValue("limit"), 100, 1, 1_000, "query.limit", "1..1000");
    EventJournal.Page page = events.since(since, limit);
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("last", page.last());
    out.put("missed", page.missed());
    ArrayNode a = out.putArray("events");
    for (EventJournal.Event e : page.events()) {
      a.addObject().put("seq", e.seq()).put("at", e.at().toString()).put("kind", e.kind()).put("service", e.service())
          .put("detail", e.detail());
    }
    ex.send(200, out);
  }

  /** POST: 202 {accepted: true}; 400 naming every bad field. */
  void ingest(Exchange ex) {
    ex.query(Set.of());
    byte[] body = ex.body;
    String encoding = ex.header("Content-Encoding");
    if (encoding != null && !encoding.isBlank() && !encoding.equalsIgnoreCase("identity")) {
      if (!encoding.equalsIgnoreCase("gzip")) {
        throw new Problem(415, "Unsupported content encoding", Params.quote(encoding) + " (expected: gzip or none)");
      }
      body = gunzip(body);
    }
    try {
      io.mesh4j.controlplane.report.Report report = ReportParser.parse(Json.parse(body));
      ApiHandler.requireScope(ex.principal, report.service()); // a scoped token reports for its services only
      book.ingest(report);
    } catch (ReportBook.TooManyException e) {
      throw new Problem(429, "Too many", e.getMessage()).header("Retry-After", "60");
    }
    ex.send(202, Json.MAPPER.createObjectNode().put("accepted", true));
  }

  /** GET ?window=1m: {window, nodes: [{service, instances}], edges: [{from, to, requestsPerSecond, …}]}. */
  void topology(Exchange ex) {
    Duration window = window(ex.query(Set.of("window")).getValue("window"));
    ReportBook.Topology t = book.topology(window);
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("window", Durations.format(t.window()));
    ArrayNode nodes = out.putArray("nodes");
    for (ReportBook.Node n : t.nodes()) {
      nodes.addObject().put("service", n.service()).put("instances", n.instances());
    }
    ArrayNode edges = out.putArray("edges");
    for (ReportBook.EdgeStats e : t.edges()) {
      ObjectNode o = edges.addObject();
      o.put("from", e.from()).put("to", e.to());
      o.put("requestsPerSecond", round(e.requestsPerSecond()));
      putNullable(o, "successRate", e.successRate() == null ? null : round(e.successRate()));
      putNullable(o, "p50Ms", e.p50Ms());
      putNullable(o, "p99Ms", e.p99Ms());
      o.put("requests", e.requests()).put("attempts", e.attempts()).put("success", e.success())
          .put("failure", e.failure()).put("timeout", e.timeout()).put("cancelled", e.cancelled())
          .put("retries", e.retries()).put("hedges", e.hedges());
    }
    ex.send(200, out);
  }

  /**
   * GET ?service=orders&window=10m: the service's inbound traffic per 10 s slot (for charts), its callers
   * and callees over the window, and its endpoints over the window (ejected: as its callers' latest reports say).
   */
  void stats(Exchange ex) {
    Query q = ex.query(Set.of("service", "window"));
    String service = q.getValue("service");
    if (service == null) {
      throw Problem.badRequest("Invalid query", "query.service", "missing (expected: a service name, e.g."
          + " ?service=orders)");
    }
    Params.serviceName("query.service", service);
    Duration window = window(q.getValue("window"));
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("service", service);
    out.put("window", Durations.format(ReportBook.SLOT.multipliedBy(
        (window.toNanos() + ReportBook.SLOT.toNanos() - 1) / ReportBook.SLOT.toNanos())));
    out.put("resolution", Durations.format(ReportBook.SLOT));
    ArrayNode series = out.putArray("series");
    for (ReportBook.Point p : book.series(service, window)) {
      ObjectNode o = series.addObject();
      o.put("start", p.start().toString());
      figures(o, p.stats());
    }
    ReportBook.Topology t = book.topology(window);
    ArrayNode callers = out.putArray("callers");
    ArrayNode callees = out.putArray("callees");
    for (ReportBook.EdgeStats e : t.edges()) {
      if (e.to().equals(service)) {
        figures(callers.addObject().put("service", e.from()), e);
      }
      if (e.from().equals(service)) {
        figures(callees.addObject().put("service", e.to()), e);
      }
    }
    ArrayNode endpoints = out.putArray("endpoints");
    for (ReportBook.EndpointView v : book.endpoints(service, window)) {
      ObjectNode o = endpoints.addObject().put("address", v.address()).put("attempts", v.attempts());
      putNullable(o, "successRate", v.successRate() == null ? null : round(v.successRate()));
      o.put("ejectedBy", v.ejectedBy());
    }
    ex.send(200, out);
  }

  private static void figures(ObjectNode o, ReportBook.EdgeStats e) {
    o.put("requestsPerSecond", round(e.requestsPerSecond()));
    putNullable(o, "successRate", e.successRate() == null ? null : round(e.successRate()));
    putNullable(o, "p50Ms", e.p50Ms());
    putNullable(o, "p99Ms", e.p99Ms());
    o.put("requests", e.requests()).put("attempts", e.attempts()).put("retries", e.retries());
  }

  /** GET: {clients: [{service, instance, …, revisions, behind, stale}]}. */
  void clients(Exchange ex) {
    ex.query(Set.of());
    ObjectNode out = Json.MAPPER.createObjectNode();
    ArrayNode a = out.putArray("clients");
    for (ReportBook.Client c : book.clients()) {
      Report r = c.report();
      ObjectNode o = a.addObject();
      o.put("service", r.service()).put("instance", r.instance()).put("address", r.address())
          .put("version", r.version()).put("jvm", r.jvm()).put("startedAt", r.startedAt())
          .put("lastReport", c.lastReport().toString()).put("lastReportAgoMs", c.lastReportAgoMillis())
          .put("connected", r.connected()).put("revision", r.revision()).put("droppedReports", r.dropped());
      ObjectNode revisions = o.putObject("revisions");
      r.revisions().forEach(revisions::put);
      ObjectNode behind = o.putObject("behind");
      c.behind().forEach((service, b) -> behind.putObject(service).put("applied", b.applied())
          .put("current", b.current()).put("forMs", b.forMillis()));
      o.put("stale", c.stale());
    }
    ex.send(200, out);
  }

  static long number(String text, long absent, long min, long max, String path, String expected) {
    if (text == null) {
      return absent;
    }
    if (Params.isDecimal(text, 18)) {
      long v = Long.parseLong(text);
      if (v >= min && v <= max) {
        return v;
      }
    }
    throw Problem.badRequest("Invalid query", path, Params.quote(text) + " (expected: " + expected + ")");
  }

  private static Duration window(String text) {
    if (text == null) {
      return Duration.ofMinutes(1);
    }
    try {
      Duration d = Durations.parse(text);
      if (d.compareTo(ReportBook.SLOT) >= 0 && d.compareTo(ReportBook.MAX_WINDOW) <= 0) {
        return d;
      }
    } catch (RuntimeException bad) {
      // reported below
    }
    throw Problem.badRequest("Invalid query", "query.window", Params.quote(text)
        + " (expected: a duration from 10s to 10m, e.g. 1m)");
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static void putNullable(ObjectNode o, String name, Double v) {
    if (v == null) {
      o.putNull(name);
    } else {
      o.put(name, v);
    }
  }

  private static byte[] gunzip(byte[] body) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      byte[] out = in.readNBytes(MAX_REPORT_BYTES + 1);
      if (out.length > MAX_REPORT_BYTES) {
        throw new Problem(413, "Body too large", "the report decompresses to more than " + MAX_REPORT_BYTES
            + " bytes (expected: at most " + MAX_REPORT_BYTES + ")");
      }
      return out;
    } catch (IOException e) {
      throw Problem.badRequest("Unreadable body", "$", "not valid gzip (" + e.getClass().getSimpleName()
          + "; expected: a gzip-compressed JSON report, as Content-Encoding: gzip says)");
    }
  }
}

package io.mesh4j.controlplane.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.controlplane.report.EventJournal;
import io.mesh4j.controlplane.report.Report;
import io.mesh4j.controlplane.report.ReportBook;
import io.mesh4j.internal.report.LatencyHistogram;
import io.mesh4j.policy.Durations;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  /** What a client sends at most, plus one "other" row per destination for endpoints past its cap. */
  static final int MAX_DESTINATIONS = 200;
  static final int MAX_ENDPOINTS = 101;
  private static final Set<String> BREAKER_STATES = Set.of("closed", "open", "half_open", "disabled", "forced_open",
      "metrics_only");
  private static final Set<String> FIELDS = Set.of("service", "instance", "address", "version", "jvm", "startedAt",
      "intervalMs", "dropped", "truncated", "controlPlane", "revisions", "destinations");

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
      book.ingest(parse(Json.parse(body)));
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

  private static long number(String text, long absent, long min, long max, String path, String expected) {
    if (text == null) {
      return absent;
    }
    try {
      long v = Long.parseLong(text.trim());
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException e) {
      // below
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

  /** Validates a report, listing every bad field. */
  static Report parse(JsonNode n) {
    List<Problem.Violation> bad = new ArrayList<>();
    if (!n.isObject()) {
      throw Problem.badRequest("Invalid report", "$", "a " + n.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
          + " (expected: a JSON object)");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        bad.add(new Problem.Violation("$." + f, "unknown field (expected one of: " + String.join(", ",
            new java.util.TreeSet<>(FIELDS)) + ")"));
      }
    }
    String service = name(n, "service", bad);
    String instance = text(n, "instance", bad, true);
    String address = text(n, "address", bad, false);
    long intervalMs = count(n, "intervalMs", bad, true);
    if (n.path("intervalMs").canConvertToExactIntegral() && n.path("intervalMs").asLong() >= 0
        && (intervalMs < 100 || intervalMs > 600_000)) {
      bad.add(new Problem.Violation("$.intervalMs", n.path("intervalMs").asText() + " (expected: 100..600000, the"
          + " report interval in ms)"));
      intervalMs = 10_000;
    }
    JsonNode cp = n.path("controlPlane");
    if (!cp.isMissingNode() && !cp.isObject()) {
      bad.add(new Problem.Violation("$.controlPlane", "expected an object {connected, revision}"));
    }
    Map<String, Long> revisions = new LinkedHashMap<>();
    JsonNode rv = n.path("revisions");
    if (!rv.isMissingNode() && !rv.isObject()) {
      bad.add(new Problem.Violation("$.revisions", "expected an object of service name to revision"));
    } else {
      rv.fields().forEachRemaining(e -> {
        if (!Params.isServiceName(e.getKey())) {
          bad.add(new Problem.Violation("$.revisions." + e.getKey(), "not a service name (expected: "
              + Params.SERVICE_NAME_EXPECTED + ")"));
        } else if (!e.getValue().canConvertToExactIntegral() || e.getValue().asLong() < 0) {
          bad.add(new Problem.Violation("$.revisions." + e.getKey(), "expected a revision (an integer >= 0)"));
        } else {
          revisions.put(e.getKey(), e.getValue().asLong());
        }
      });
    }
    List<Report.Destination> destinations = new ArrayList<>();
    JsonNode ds = n.path("destinations");
    if (!ds.isMissingNode() && !ds.isArray()) {
      bad.add(new Problem.Violation("$.destinations", "expected an array"));
    } else if (ds.size() > MAX_DESTINATIONS) {
      bad.add(new Problem.Violation("$.destinations", ds.size() + " destinations (expected: at most "
          + MAX_DESTINATIONS + " per report)"));
    } else {
      for (int i = 0; i < ds.size(); i++) {
        destinations.add(destination(ds.get(i), "$.destinations[" + i + "]", bad));
      }
    }
    Report r = new Report(service, instance, address == null ? "" : address, textOr(n, "version", bad),
        textOr(n, "jvm", bad), textOr(n, "startedAt", bad), Duration.ofMillis(intervalMs),
        count(n, "dropped", bad, false), count(n, "truncated", bad, false), cp.path("connected").asBoolean(false),
        cp.path("revision").asLong(0), revisions, destinations);
    if (!bad.isEmpty()) {
      throw Problem.badRequest("Invalid report", bad);
    }
    return r;
  }

  private static Report.Destination destination(JsonNode d, String path, List<Problem.Violation> bad) {
    long[] latency = new long[LatencyHistogram.BUCKETS];
    if (!d.isObject()) {
      bad.add(new Problem.Violation(path, "expected an object {service, retries, hedges, breaker, latency,"
          + " endpoints}"));
      return new Report.Destination("", 0, 0, "", latency, List.of());
    }
    List<Report.EndpointTraffic> endpoints = new ArrayList<>();
    JsonNode es = d.path("endpoints");
    if (!es.isArray()) {
      bad.add(new Problem.Violation(path + ".endpoints", "expected an array"));
    } else if (es.size() > MAX_ENDPOINTS) {
      bad.add(new Problem.Violation(path + ".endpoints", es.size() + " endpoints (expected: at most " + MAX_ENDPOINTS
          + " per destination)"));
    } else {
      for (int i = 0; i < es.size(); i++) {
        endpoints.add(endpoint(es.get(i), path + ".endpoints[" + i + "]", bad));
      }
    }
    latency(d.path("latency"), path + ".latency", latency, bad);
    return new Report.Destination(name(d, "service", bad, path), count(d, "retries", bad, false, path),
        count(d, "hedges", bad, false, path), breaker(d, path, bad), latency, endpoints);
  }

  /**
   * {"firstUpperMicros": U, "counts": [c0, c1, ...]}: the counts of consecutive buckets, the first being
   * the bucket whose upper bound is U µs ({@code -1}: the last bucket).
   */
  private static void latency(JsonNode l, String path, long[] into, List<Problem.Violation> bad) {
    if (l.isMissingNode() || l.isNull()) {
      return; // no samples
    }
    String expected = " (expected: {\"firstUpperMicros\": a bucket bound of io.mesh4j.internal.report.LatencyHistogram,"
        + " \"counts\": [integers >= 0]})";
    JsonNode counts = l.path("counts");
    if (!l.isObject() || !l.path("firstUpperMicros").canConvertToExactIntegral() || !counts.isArray()) {
      bad.add(new Problem.Violation(path, "not a histogram" + expected));
      return;
    }
    long upper = l.path("firstUpperMicros").asLong();
    int first = upper == -1 ? LatencyHistogram.BUCKETS - 1 : LatencyHistogram.bucketOfUpper(upper);
    if (first < 0) {
      bad.add(new Problem.Violation(path + ".firstUpperMicros", upper + " is not a bucket bound" + expected));
      return;
    }
    if (first + counts.size() > LatencyHistogram.BUCKETS) {
      bad.add(new Problem.Violation(path + ".counts", counts.size() + " counts from bucket " + first + " run past the"
          + " last bucket (" + (LatencyHistogram.BUCKETS - 1) + ")" + expected));
      return;
    }
    for (int i = 0; i < counts.size(); i++) {
      JsonNode c = counts.get(i);
      if (!c.canConvertToExactIntegral() || !c.canConvertToLong() || c.asLong() < 0) {
        bad.add(new Problem.Violation(path + ".counts[" + i + "]", "expected an integer >= 0"));
      } else {
        into[first + i] = c.asLong();
      }
    }
  }

  private static String breaker(JsonNode d, String path, List<Problem.Violation> bad) {
    JsonNode b = d.path("breaker");
    if (b.isMissingNode() || b.isNull()) {
      return "closed";
    }
    if (!b.isTextual() || !BREAKER_STATES.contains(b.asText())) {
      bad.add(new Problem.Violation(path + ".breaker", (b.isTextual() && b.asText().length() <= 40
          ? Params.quote(b.asText()) : "that value") + " (expected one of: " + String.join(", ",
          new java.util.TreeSet<>(BREAKER_STATES)) + ")"));
      return "closed";
    }
    return b.asText();
  }

  private static Report.EndpointTraffic endpoint(JsonNode e, String path, List<Problem.Violation> bad) {
    if (!e.isObject()) {
      bad.add(new Problem.Violation(path, "expected an object {address, success, failure, timeout, cancelled,"
          + " ejected, timesEjected}"));
      return new Report.EndpointTraffic("", 0, 0, 0, 0, false, 0);
    }
    return new Report.EndpointTraffic(text(e, "address", bad, true, path), count(e, "success", bad, false, path),
        count(e, "failure", bad, false, path), count(e, "timeout", bad, false, path),
        count(e, "cancelled", bad, false, path), e.path("ejected").asBoolean(false),
        count(e, "timesEjected", bad, false, path));
  }

  private static String name(JsonNode n, String field, List<Problem.Violation> bad) {
    return name(n, field, bad, "$");
  }

  private static String name(JsonNode n, String field, List<Problem.Violation> bad, String path) {
    String s = text(n, field, bad, true, path);
    if (s != null && !Params.isServiceName(s)) {
      bad.add(new Problem.Violation(path + "." + field, Params.quote(s) + " (expected: "
          + Params.SERVICE_NAME_EXPECTED + ")"));
    }
    return s == null ? "" : s;
  }

  private static String text(JsonNode n, String field, List<Problem.Violation> bad, boolean required) {
    return text(n, field, bad, required, "$");
  }

  private static String text(JsonNode n, String field, List<Problem.Violation> bad, boolean required, String path) {
    JsonNode v = n.path(field);
    if (v.isMissingNode() || v.isNull()) {
      if (required) {
        bad.add(new Problem.Violation(path + "." + field, "missing (expected: a string)"));
      }
      return null;
    }
    if (!v.isTextual() || (required && v.asText().isBlank()) || v.asText().length() > 200) {
      bad.add(new Problem.Violation(path + "." + field, "expected a " + (required ? "non-empty " : "")
          + "string of at most 200 characters"));
      return null;
    }
    return v.asText();
  }

  private static String textOr(JsonNode n, String field, List<Problem.Violation> bad) {
    String s = text(n, field, bad, false);
    return s == null ? "unknown" : s;
  }

  private static long count(JsonNode n, String field, List<Problem.Violation> bad, boolean required) {
    return count(n, field, bad, required, "$");
  }

  private static long count(JsonNode n, String field, List<Problem.Violation> bad, boolean required, String path) {
    JsonNode v = n.path(field);
    if (v.isMissingNode() || v.isNull()) {
      if (required) {
        bad.add(new Problem.Violation(path + "." + field, "missing (expected: an integer >= 0)"));
      }
      return 0;
    }
    if (!v.canConvertToExactIntegral() || !v.canConvertToLong() || v.asLong() < 0) {
      bad.add(new Problem.Violation(path + "." + field, "expected an integer >= 0"));
      return 0;
    }
    return v.asLong();
  }
}

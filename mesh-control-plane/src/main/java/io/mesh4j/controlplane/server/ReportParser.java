package io.mesh4j.controlplane.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.mesh4j.controlplane.report.Report;
import io.mesh4j.internal.report.LatencyHistogram;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a client's report ({@code POST /v1/reports}) into a {@link Report}, or refuses it with a 400 that
 * names every bad field and what was expected. Bad input never reaches the report book.
 */
final class ReportParser {
  /** What a client sends at most, plus one "other" row per destination for endpoints past its cap. */
  static final int MAX_DESTINATIONS = 200;
  static final int MAX_ENDPOINTS = 101;
  private static final Set<String> BREAKER_STATES = Set.of("closed", "open", "half_open", "disabled", "forced_open",
      "metrics_only");
  private static final Set<String> FIELDS = Set.of("service", "instance", "address", "version", "jvm", "startedAt",
      "intervalMs", "dropped", "truncated", "controlPlane", "revisions", "destinations");

  private ReportParser() {}

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
        bad.add(new Problem.Violation("$." + io.mesh4j.internal.JsonText.key(f), "unknown field (expected one of: " + String.join(", ",
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

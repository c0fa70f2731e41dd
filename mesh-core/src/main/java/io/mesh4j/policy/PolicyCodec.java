package io.mesh4j.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.mesh4j.internal.JsonText;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Maps {@link ServicePolicy} to and from JSON with Jackson.
 *
 * <pre>{@code
 * {
 *   "timeouts": { "total": "2s", "perAttempt": "500ms" },
 *   "balancer": { "algorithm": "p2c-peak-ewma", "decay": "10s", "defaultRtt": "30ms" },
 *   "outlier":  { "enabled": true, "consecutiveFailures": 5, "baseEjectionTime": "30s",
 *                 "maxEjectionTime": "300s", "maxEjectionPercent": 50, "panicThresholdPercent": 50 }
 * }
 * }</pre>
 *
 * <p>Every section and field is optional and defaults as {@link ServicePolicy#DEFAULT}. Parsing walks
 * the JSON tree rather than binding it, so that one {@link InvalidPolicyException} reports every bad
 * field at once — wrong types, unknown fields, out-of-range values — instead of stopping at the first.
 * Thread-safe.
 */
public final class PolicyCodec {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static final Set<String> ROOT_FIELDS = Set.of("timeouts", "balancer", "outlier", "retries", "hedging",
      "circuitBreaker", "limits", "faults", "routes", "authorization");
  private static final Set<String> RETRY_FIELDS = Set.of("enabled", "maxAttempts", "retryOn", "backoff", "budget");
  private static final Set<String> BACKOFF_FIELDS = Set.of("base", "cap");
  private static final Set<String> BUDGET_FIELDS = Set.of("percent", "minPerSecond", "ttl");
  private static final Set<String> HEDGE_FIELDS = Set.of("enabled", "delay", "maxAttempts");
  private static final Set<String> BREAKER_FIELDS = Set.of("enabled", "failureRateThreshold", "slowCallRateThreshold",
      "slowCallDuration", "minimumCalls", "window", "openDuration", "halfOpenCalls");
  private static final Set<String> LIMIT_FIELDS = Set.of("ratePerSecond", "burst", "concurrency", "maxConcurrency",
      "minConcurrency", "maxWait");
  private static final Set<String> FAULT_FIELDS = Set.of("delay", "abort");
  private static final Set<String> FAULT_DELAY_FIELDS = Set.of("percent", "duration");
  private static final Set<String> FAULT_ABORT_FIELDS = Set.of("percent", "status");
  private static final Set<String> ROUTE_FIELDS = Set.of("name", "match", "destinations", "faults", "hedging");
  private static final Set<String> MATCH_FIELDS = Set.of("methods", "pathPrefix", "headers");
  private static final Set<String> DESTINATION_FIELDS = Set.of("labels", "weight");
  private static final Set<String> TIMEOUT_FIELDS = Set.of("total", "perAttempt");
  private static final Set<String> BALANCER_FIELDS = Set.of("algorithm", "decay", "defaultRtt");
  private static final Set<String> OUTLIER_FIELDS = Set.of("enabled", "consecutiveFailures", "baseEjectionTime",
      "maxEjectionTime", "maxEjectionPercent", "panicThresholdPercent");

  private PolicyCodec() {}

  /**
   * Parses policy JSON.
   *
   * @throws InvalidPolicyException listing every bad field, or the syntax error's location
   */
  public static ServicePolicy fromJson(String json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new InvalidPolicyException(java.util.List.of(new InvalidPolicyException.Violation("$",
          "malformed JSON" + where + " (expected: a JSON object)")));
    }
    return fromTree(root);
  }

  /** Parses an already-read JSON tree; see {@link #fromJson}. */
  public static ServicePolicy fromTree(JsonNode root) {
    Violations v = new Violations();
    if (root == null || !root.isObject()) {
      v.add("$", (root == null ? "empty" : root.getNodeType().toString().toLowerCase()) + " (expected: a JSON object)");
      v.throwIfAny();
    }
    unknownFields(root, "", ROOT_FIELDS, v);
    ServicePolicy d = ServicePolicy.DEFAULT;

    JsonNode t = section(root, "timeouts", TIMEOUT_FIELDS, v);
    Duration total = duration(t, "timeouts", "total", d.timeouts().total(), v);
    Duration perAttempt = duration(t, "timeouts", "perAttempt", d.timeouts().perAttempt(), v);
    TimeoutPolicy.validate(total, perAttempt, "timeouts", v);

    JsonNode b = section(root, "balancer", BALANCER_FIELDS, v);
    BalancerAlgorithm algorithm = d.balancer().algorithm();
    JsonNode a = b == null ? null : b.get("algorithm");
    if (a != null && !a.isNull()) {
      algorithm = a.isTextual() ? BalancerAlgorithm.fromJsonName(a.asText()) : null;
      v.check(algorithm != null, "balancer.algorithm", a.toString(), "one of " + BalancerAlgorithm.names());
    }
    Duration decay = duration(b, "balancer", "decay", d.balancer().decay(), v);
    Duration defaultRtt = duration(b, "balancer", "defaultRtt", d.balancer().defaultRtt(), v);
    BalancerPolicy.validate(decay, defaultRtt, "balancer", v);

    JsonNode o = section(root, "outlier", OUTLIER_FIELDS, v);
    OutlierPolicy od = d.outlier();
    boolean enabled = bool(o, "outlier", "enabled", od.enabled(), v);
    int failures = integer(o, "outlier", "consecutiveFailures", od.consecutiveFailures(), v);
    Duration base = duration(o, "outlier", "baseEjectionTime", od.baseEjectionTime(), v);
    Duration max = duration(o, "outlier", "maxEjectionTime", od.maxEjectionTime(), v);
    int maxPercent = integer(o, "outlier", "maxEjectionPercent", od.maxEjectionPercent(), v);
    int panic = integer(o, "outlier", "panicThresholdPercent", od.panicThresholdPercent(), v);
    OutlierPolicy.validate(failures, base, max, maxPercent, panic, "outlier", v);

    RetryPolicy retries = retries(root, v);
    HedgePolicy hedging = hedging(section(root, "hedging", "hedging", HEDGE_FIELDS, v), "hedging", d.hedging(), v);
    CircuitBreakerPolicy breaker = breaker(root, v);
    LimitPolicy limits = limits(root, v);
    FaultPolicy faults = faults(section(root, "faults", "faults", FAULT_FIELDS, v), "faults", d.faults(), v);
    List<Route> routes = routes(root, v);
    AuthorizationPolicy authorization = AuthorizationCodec.read(root, v);
    // Last, so that a field's own message comes first: a null is not "the default" (leave the field out
    // for that), and no string or field name may hold a control character or an unpaired surrogate.
    JsonText.check(root, false, v::add);

    v.throwIfAny();
    return new ServicePolicy(new TimeoutPolicy(total, perAttempt),
        new BalancerPolicy(algorithm, decay, defaultRtt),
        new OutlierPolicy(enabled, failures, base, max, maxPercent, panic),
        retries, hedging, breaker, limits, faults, routes, authorization);
  }

  private static RetryPolicy retries(JsonNode root, Violations v) {
    RetryPolicy d = RetryPolicy.DEFAULT;
    JsonNode r = section(root, "retries", "retries", RETRY_FIELDS, v);
    boolean enabled = bool(r, "retries", "enabled", d.enabled(), v);
    int maxAttempts = integer(r, "retries", "maxAttempts", d.maxAttempts(), v);
    List<Integer> retryOn = d.retryOn();
    JsonNode on = r == null ? null : r.get("retryOn");
    if (on != null && !on.isNull()) {
      if (!on.isArray()) {
        v.add("retries.retryOn", JsonText.shown(on) + " (expected: an array of HTTP statuses such as [502, 503, 504])");
      } else {
        List<Integer> list = new ArrayList<>();
        for (JsonNode n : on) {
          if (n.isIntegralNumber() && n.canConvertToInt()) {
            list.add(n.intValue());
          } else {
            v.add("retries.retryOn", JsonText.shown(n) + " (expected: an HTTP status 400..599)");
          }
        }
        retryOn = list;
      }
    }
    JsonNode b = section(r, "backoff", "retries.backoff", BACKOFF_FIELDS, v);
    Duration base = duration(b, "retries.backoff", "base", d.backoffBase(), v);
    Duration cap = duration(b, "retries.backoff", "cap", d.backoffCap(), v);
    JsonNode bu = section(r, "budget", "retries.budget", BUDGET_FIELDS, v);
    int percent = integer(bu, "retries.budget", "percent", d.budgetPercent(), v);
    int minPerSecond = integer(bu, "retries.budget", "minPerSecond", d.budgetMinPerSecond(), v);
    Duration ttl = duration(bu, "retries.budget", "ttl", d.budgetTtl(), v);
    RetryPolicy.validate(maxAttempts, retryOn, base, cap, percent, minPerSecond, ttl, "retries", v);
    return v.isEmpty() ? new RetryPolicy(enabled, maxAttempts, retryOn, base, cap, percent, minPerSecond, ttl) : d;
  }

  private static HedgePolicy hedging(JsonNode h, String path, HedgePolicy d, Violations v) {
    if (h == null) {
      return d;
    }
    boolean enabled = bool(h, path, "enabled", d.enabled(), v);
    Duration delay = d.delay();
    int percentile = d.percentile();
    JsonNode dn = h.get("delay");
    if (dn != null && !dn.isNull()) {
      String text = dn.isTextual() ? dn.asText() : null;
      if (text != null && text.matches("p\\d{2}")) {
        percentile = Integer.parseInt(text.substring(1));
      } else {
        delay = duration(h, path, "delay", d.delay(), v);
        percentile = 0;
      }
    }
    int maxAttempts = integer(h, path, "maxAttempts", d.maxAttempts(), v);
    int before = v.size();
    HedgePolicy.validate(delay, percentile, maxAttempts, path, v);
    return v.size() == before && delay != null ? new HedgePolicy(enabled, delay, percentile, maxAttempts) : d;
  }

  private static CircuitBreakerPolicy breaker(JsonNode root, Violations v) {
    CircuitBreakerPolicy d = CircuitBreakerPolicy.DEFAULT;
    String p = "circuitBreaker";
    JsonNode c = section(root, p, p, BREAKER_FIELDS, v);
    if (c == null) {
      return d;
    }
    boolean enabled = bool(c, p, "enabled", d.enabled(), v);
    int failureRate = integer(c, p, "failureRateThreshold", d.failureRateThreshold(), v);
    int slowRate = integer(c, p, "slowCallRateThreshold", d.slowCallRateThreshold(), v);
    Duration slow = duration(c, p, "slowCallDuration", d.slowCallDuration(), v);
    int minimumCalls = integer(c, p, "minimumCalls", d.minimumCalls(), v);
    Duration window = duration(c, p, "window", d.window(), v);
    Duration open = duration(c, p, "openDuration", d.openDuration(), v);
    int halfOpen = integer(c, p, "halfOpenCalls", d.halfOpenCalls(), v);
    int before = v.size();
    CircuitBreakerPolicy.validate(failureRate, slowRate, slow, minimumCalls, window, open, halfOpen, p, v);
    return v.size() == before ? new CircuitBreakerPolicy(enabled, failureRate, slowRate, slow, minimumCalls, window,
        open, halfOpen) : d;
  }

  private static LimitPolicy limits(JsonNode root, Violations v) {
    LimitPolicy d = LimitPolicy.DEFAULT;
    String p = "limits";
    JsonNode l = section(root, p, p, LIMIT_FIELDS, v);
    if (l == null) {
      return d;
    }
    double rate = number(l, p, "ratePerSecond", d.ratePerSecond(), v);
    int burst = integer(l, p, "burst", d.burst(), v);
    LimitPolicy.Concurrency concurrency = d.concurrency();
    JsonNode cn = l.get("concurrency");
    if (cn != null && !cn.isNull()) {
      concurrency = cn.isTextual() ? LimitPolicy.Concurrency.fromJsonName(cn.asText()) : null;
      v.check(concurrency != null, "limits.concurrency", cn.toString(), "one of off, fixed, adaptive");
    }
    int max = integer(l, p, "maxConcurrency", d.maxConcurrency(), v);
    int min = integer(l, p, "minConcurrency", d.minConcurrency(), v);
    Duration maxWait = duration(l, p, "maxWait", d.maxWait(), v);
    int before = v.size();
    LimitPolicy.validate(rate, burst, concurrency == null ? d.concurrency() : concurrency, max, min, maxWait, p, v);
    return v.size() == before && concurrency != null ? new LimitPolicy(rate, burst, concurrency, max, min, maxWait)
        : d;
  }

  private static FaultPolicy faults(JsonNode f, String path, FaultPolicy d, Violations v) {
    if (f == null) {
      return d;
    }
    JsonNode dl = section(f, "delay", path + ".delay", FAULT_DELAY_FIELDS, v);
    double delayPercent = number(dl, path + ".delay", "percent", d.delayPercent(), v);
    Duration delay = duration(dl, path + ".delay", "duration", d.delay(), v);
    JsonNode ab = section(f, "abort", path + ".abort", FAULT_ABORT_FIELDS, v);
    double abortPercent = number(ab, path + ".abort", "percent", d.abortPercent(), v);
    int status = integer(ab, path + ".abort", "status", d.abortStatus(), v);
    int before = v.size();
    FaultPolicy.validate(delayPercent, delay, abortPercent, status, path, v);
    return v.size() == before ? new FaultPolicy(delayPercent, delay, abortPercent, status) : d;
  }

  private static List<Route> routes(JsonNode root, Violations v) {
    JsonNode rs = root.get("routes");
    if (rs == null || rs.isNull()) {
      return List.of();
    }
    if (!rs.isArray()) {
      v.add("routes", rs.getNodeType().toString().toLowerCase() + " (expected: an array of routes)");
      return List.of();
    }
    List<Route> routes = new ArrayList<>();
    Set<String> names = new java.util.HashSet<>();
    v.check(rs.size() <= ServicePolicy.MAX_ROUTES, "routes", rs.size() + " routes", "at most " + ServicePolicy.MAX_ROUTES);
    for (int i = 0; i < rs.size(); i++) {
      String p = "routes[" + i + "]";
      JsonNode r = rs.get(i);
      if (!r.isObject()) {
        v.add(p, r.getNodeType().toString().toLowerCase() + " (expected: an object)");
        continue;
      }
      unknownFields(r, p, ROUTE_FIELDS, v);
      JsonNode nameNode = r.get("name");
      String name = nameNode != null && nameNode.isTextual() ? nameNode.asText() : null;
      if (name != null && !names.add(name)) {
        v.add(p + ".name", "'" + name + "' used twice (expected: unique route names)");
      }
      JsonNode m = section(r, "match", p + ".match", MATCH_FIELDS, v);
      Set<String> methods = new java.util.TreeSet<>(strings(m, p + ".match", "methods", v));
      JsonNode pp = m == null ? null : m.get("pathPrefix");
      String pathPrefix = "";
      if (pp != null && !pp.isNull()) {
        if (pp.isTextual()) {
          pathPrefix = pp.asText();
        } else {
          v.add(p + ".match.pathPrefix", JsonText.shown(pp) + " (expected: a string)");
        }
      }
      Map<String, String> headers = stringMap(m, p + ".match", "headers", v);
      List<Route.Destination> destinations = new ArrayList<>();
      JsonNode ds = r.get("destinations");
      if (ds == null || !ds.isArray()) {
        v.add(p + ".destinations", (ds == null ? "missing" : ds.toString())
            + " (expected: an array of {labels, weight})");
      } else {
        for (int j = 0; j < ds.size(); j++) {
          String dp = p + ".destinations[" + j + "]";
          JsonNode dn = ds.get(j);
          if (!dn.isObject()) {
            v.add(dp, JsonText.shown(dn) + " (expected: an object)");
            continue;
          }
          unknownFields(dn, dp, DESTINATION_FIELDS, v);
          int weight = integer(dn, dp, "weight", ds.size() == 1 ? 100 : -1, v);
          if (weight == -1) {
            v.add(dp + ".weight", "missing (expected: 0..100; weights of a route sum to 100)");
          }
          destinations.add(new Route.Destination(stringMap(dn, dp, "labels", v), weight));
        }
      }
      FaultPolicy faults = r.has("faults") ? faults(section(r, "faults", p + ".faults", FAULT_FIELDS, v),
          p + ".faults", FaultPolicy.NONE, v) : null;
      HedgePolicy hedging = r.has("hedging") ? hedging(section(r, "hedging", p + ".hedging", HEDGE_FIELDS, v),
          p + ".hedging", HedgePolicy.DEFAULT, v) : null;
      int before = v.size();
      Route.validate(name, methods, pathPrefix, destinations, p, v);
      if (v.size() == before && v.isEmpty()) {
        routes.add(new Route(name, methods, pathPrefix, headers, destinations, faults, hedging));
      }
    }
    return routes;
  }

  static List<String> strings(JsonNode section, String path, String field, Violations v) {
    JsonNode n = section == null ? null : section.get(field);
    if (n == null || n.isNull()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (!n.isArray()) {
      v.add(path + "." + field, JsonText.shown(n) + " (expected: an array of strings)");
      return out;
    }
    for (JsonNode e : n) {
      if (e.isTextual()) {
        out.add(e.asText());
      } else {
        v.add(path + "." + field, JsonText.shown(e) + " (expected: a string)");
      }
    }
    return out;
  }

  private static Map<String, String> stringMap(JsonNode section, String path, String field, Violations v) {
    JsonNode n = section == null ? null : section.get(field);
    if (n == null || n.isNull()) {
      return Map.of();
    }
    Map<String, String> out = new java.util.LinkedHashMap<>();
    if (!n.isObject()) {
      v.add(path + "." + field, JsonText.shown(n) + " (expected: an object of string values)");
      return out;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isTextual()) {
        out.put(e.getKey(), e.getValue().asText());
      } else {
        v.add(path + "." + field + "." + JsonText.key(e.getKey()), JsonText.shown(e.getValue()) + " (expected: a string)");
      }
    }
    return out;
  }

  private static double number(JsonNode section, String path, String field, double dflt, Violations v) {
    JsonNode n = section == null ? null : section.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (n.isNumber()) {
      return n.doubleValue();
    }
    v.add(path + "." + field, JsonText.shown(n) + " (expected: a number)");
    return dflt;
  }

  /** Writes {@code policy} as JSON, with every field explicit. */
  public static String toJson(ServicePolicy policy) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(toTree(policy));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot happen: writing a tree of strings and numbers", e);
    }
  }

  /** The JSON tree of {@code policy}. */
  public static ObjectNode toTree(ServicePolicy policy) {
    ObjectNode root = MAPPER.createObjectNode();
    ObjectNode t = root.putObject("timeouts");
    t.put("total", Durations.format(policy.timeouts().total()));
    if (policy.timeouts().perAttempt() != null) {
      t.put("perAttempt", Durations.format(policy.timeouts().perAttempt()));
    }
    ObjectNode b = root.putObject("balancer");
    b.put("algorithm", policy.balancer().algorithm().jsonName());
    b.put("decay", Durations.format(policy.balancer().decay()));
    b.put("defaultRtt", Durations.format(policy.balancer().defaultRtt()));
    OutlierPolicy op = policy.outlier();
    ObjectNode o = root.putObject("outlier");
    o.put("enabled", op.enabled());
    o.put("consecutiveFailures", op.consecutiveFailures());
    o.put("baseEjectionTime", Durations.format(op.baseEjectionTime()));
    o.put("maxEjectionTime", Durations.format(op.maxEjectionTime()));
    o.put("maxEjectionPercent", op.maxEjectionPercent());
    o.put("panicThresholdPercent", op.panicThresholdPercent());

    RetryPolicy rp = policy.retries();
    ObjectNode r = root.putObject("retries");
    r.put("enabled", rp.enabled());
    r.put("maxAttempts", rp.maxAttempts());
    rp.retryOn().forEach(r.putArray("retryOn")::add);
    ObjectNode backoff = r.putObject("backoff");
    backoff.put("base", Durations.format(rp.backoffBase()));
    backoff.put("cap", Durations.format(rp.backoffCap()));
    ObjectNode budget = r.putObject("budget");
    budget.put("percent", rp.budgetPercent());
    budget.put("minPerSecond", rp.budgetMinPerSecond());
    budget.put("ttl", Durations.format(rp.budgetTtl()));

    writeHedging(root.putObject("hedging"), policy.hedging());

    CircuitBreakerPolicy cb = policy.circuitBreaker();
    ObjectNode c = root.putObject("circuitBreaker");
    c.put("enabled", cb.enabled());
    c.put("failureRateThreshold", cb.failureRateThreshold());
    c.put("slowCallRateThreshold", cb.slowCallRateThreshold());
    c.put("slowCallDuration", Durations.format(cb.slowCallDuration()));
    c.put("minimumCalls", cb.minimumCalls());
    c.put("window", Durations.format(cb.window()));
    c.put("openDuration", Durations.format(cb.openDuration()));
    c.put("halfOpenCalls", cb.halfOpenCalls());

    LimitPolicy lp = policy.limits();
    ObjectNode l = root.putObject("limits");
    l.put("ratePerSecond", lp.ratePerSecond());
    l.put("burst", lp.burst());
    l.put("concurrency", lp.concurrency().jsonName());
    l.put("maxConcurrency", lp.maxConcurrency());
    l.put("minConcurrency", lp.minConcurrency());
    l.put("maxWait", Durations.format(lp.maxWait()));

    writeFaults(root.putObject("faults"), policy.faults());

    com.fasterxml.jackson.databind.node.ArrayNode routes = root.putArray("routes");
    for (Route route : policy.routes()) {
      ObjectNode rn = routes.addObject();
      rn.put("name", route.name());
      ObjectNode m = rn.putObject("match");
      if (!route.methods().isEmpty()) {
        route.methods().forEach(m.putArray("methods")::add);
      }
      if (!route.pathPrefix().isEmpty()) {
        m.put("pathPrefix", route.pathPrefix());
      }
      if (!route.headers().isEmpty()) {
        ObjectNode h = m.putObject("headers");
        new java.util.TreeMap<>(route.headers()).forEach(h::put);
      }
      com.fasterxml.jackson.databind.node.ArrayNode ds = rn.putArray("destinations");
      for (Route.Destination d : route.destinations()) {
        ObjectNode dn = ds.addObject();
        ObjectNode labels = dn.putObject("labels");
        new java.util.TreeMap<>(d.labels()).forEach(labels::put);
        dn.put("weight", d.weight());
      }
      if (route.faults() != null) {
        writeFaults(rn.putObject("faults"), route.faults());
      }
      if (route.hedging() != null) {
        writeHedging(rn.putObject("hedging"), route.hedging());
      }
    }
    AuthorizationCodec.write(root, policy.authorization());
    return root;
  }

  private static void writeHedging(ObjectNode h, HedgePolicy hp) {
    h.put("enabled", hp.enabled());
    h.put("delay", hp.percentile() > 0 ? "p" + hp.percentile() : Durations.format(hp.delay()));
    h.put("maxAttempts", hp.maxAttempts());
  }

  private static void writeFaults(ObjectNode f, FaultPolicy fp) {
    ObjectNode delay = f.putObject("delay");
    delay.put("percent", fp.delayPercent());
    delay.put("duration", Durations.format(fp.delay()));
    ObjectNode abort = f.putObject("abort");
    abort.put("percent", fp.abortPercent());
    abort.put("status", fp.abortStatus());
  }

  private static JsonNode section(JsonNode root, String name, Set<String> fields, Violations v) {
    return section(root, name, name, fields, v);
  }

  private static JsonNode section(JsonNode parent, String name, String path, Set<String> fields, Violations v) {
    JsonNode n = parent == null ? null : parent.get(name);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isObject()) {
      v.add(path, n.getNodeType().toString().toLowerCase() + " (expected: an object)");
      return null;
    }
    unknownFields(n, path, fields, v);
    return n;
  }

  static void unknownFields(JsonNode node, String path, Set<String> known, Violations v) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      String f = it.next().getKey();
      if (!known.contains(f)) {
        v.add(Violations.join(path, JsonText.key(f)), "unknown field (expected one of: "
            + String.join(", ", new java.util.TreeSet<>(known)) + ")");
      }
    }
  }

  private static Duration duration(JsonNode section, String path, String field, Duration dflt, Violations v) {
    JsonNode n = section == null ? null : section.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (n.isTextual()) {
      try {
        return Durations.parse(n.asText());
      } catch (IllegalArgumentException e) {
        // fall through to the violation below
      }
    }
    v.add(path + "." + field, JsonText.shown(n) + " (expected: a duration such as \"250ms\", \"10s\", \"5m\" or \"PT1S\")");
    return null;
  }

  private static int integer(JsonNode section, String path, String field, int dflt, Violations v) {
    JsonNode n = section == null ? null : section.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (n.isIntegralNumber() && n.canConvertToInt()) {
      return n.intValue();
    }
    v.add(path + "." + field, JsonText.shown(n) + " (expected: an integer)");
    return dflt;
  }

  private static boolean bool(JsonNode section, String path, String field, boolean dflt, Violations v) {
    JsonNode n = section == null ? null : section.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    v.add(path + "." + field, JsonText.shown(n) + " (expected: true or false)");
    return dflt;
  }
}

package io.mesh4j.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Iterator;
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

  private static final Set<String> ROOT_FIELDS = Set.of("timeouts", "balancer", "outlier");
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
      throw new InvalidPolicyException(java.util.List.of(new InvalidPolicyException.Violation("$",
          "malformed JSON at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()
              + " (expected: a JSON object)")));
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

    v.throwIfAny();
    return new ServicePolicy(new TimeoutPolicy(total, perAttempt),
        new BalancerPolicy(algorithm, decay, defaultRtt),
        new OutlierPolicy(enabled, failures, base, max, maxPercent, panic));
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
    return root;
  }

  private static JsonNode section(JsonNode root, String name, Set<String> fields, Violations v) {
    JsonNode n = root.get(name);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isObject()) {
      v.add(name, n.getNodeType().toString().toLowerCase() + " (expected: an object)");
      return null;
    }
    unknownFields(n, name, fields, v);
    return n;
  }

  private static void unknownFields(JsonNode node, String path, Set<String> known, Violations v) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      String f = it.next().getKey();
      if (!known.contains(f)) {
        v.add(Violations.join(path, f), "unknown field (expected one of: "
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
    v.add(path + "." + field, n + " (expected: a duration such as \"250ms\", \"10s\", \"5m\" or \"PT1S\")");
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
    v.add(path + "." + field, n + " (expected: an integer)");
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
    v.add(path + "." + field, n + " (expected: true or false)");
    return dflt;
  }
}

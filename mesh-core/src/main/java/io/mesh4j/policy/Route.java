package io.mesh4j.policy;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A routing rule: requests matching {@code methods}, {@code pathPrefix} and {@code headers} (all that
 * are given must match) go to the endpoints selected by {@code destinations} — one subset by labels,
 * or a weighted split across subsets (a canary: 90/10). Routes are tried in order; the first match
 * wins; no match means all endpoints. A route may override the service's faults and hedging.
 *
 * <pre>{@code
 * { "name": "canary-header", "match": { "headers": { "x-canary": "true" } },
 *   "destinations": [ { "labels": { "version": "v2" }, "weight": 100 } ] }
 * }</pre>
 *
 * @param name         for logs and traces
 * @param methods      HTTP methods (upper case); empty: any
 * @param pathPrefix   "" or a prefix starting with "/"
 * @param headers      exact header values (names case-insensitive); empty: any
 * @param destinations weights summing to 100
 * @param faults       overrides the service's faults, or null
 * @param hedging      overrides the service's hedging, or null
 */
public record Route(String name, Set<String> methods, String pathPrefix, Map<String, String> headers,
    List<Destination> destinations, FaultPolicy faults, HedgePolicy hedging) {

  /** Endpoints whose labels contain all of {@code labels}, receiving {@code weight}% of the route. */
  public record Destination(Map<String, String> labels, int weight) {
    public Destination {
      labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
  }

  public Route {
    methods = methods == null ? Set.of() : Set.copyOf(new TreeSet<>(methods));
    pathPrefix = pathPrefix == null ? "" : pathPrefix;
    headers = headers == null ? Map.of() : lowerCaseKeys(headers);
    destinations = destinations == null ? List.of() : List.copyOf(destinations);
    Violations v = new Violations();
    validate(name, methods, pathPrefix, destinations, "routes[" + Objects.toString(name, "?") + "]", v);
    v.throwIfAny();
  }

  private static Map<String, String> lowerCaseKeys(Map<String, String> headers) {
    java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
    headers.forEach((k, val) -> m.put(k.toLowerCase(java.util.Locale.ROOT), val));
    return Map.copyOf(m);
  }

  static void validate(String name, Set<String> methods, String pathPrefix, List<Destination> destinations,
      String p, Violations v) {
    v.check(name != null && name.matches("[A-Za-z0-9._-]{1,64}"), Violations.join(p, "name"),
        name == null ? "missing" : io.mesh4j.internal.JsonText.shown(name), "1..64 of letters, digits, '.', '_', '-'");
    for (String m : methods) {
      v.check(m.matches("[A-Z]{1,16}"), Violations.join(p, "match.methods"), io.mesh4j.internal.JsonText.shown(m),
          "upper-case HTTP methods such as GET");
    }
    v.check(pathPrefix.isEmpty() || pathPrefix.startsWith("/"), Violations.join(p, "match.pathPrefix"),
        "'" + pathPrefix + "'", "a path starting with '/'");
    v.check(destinations.size() <= 16, Violations.join(p, "destinations"), destinations.size() + " destinations",
        "at most 16");
    if (destinations.isEmpty()) {
      v.add(Violations.join(p, "destinations"), "empty (expected: at least one destination)");
      return;
    }
    int sum = 0;
    for (Destination d : destinations) {
      v.check(d.weight() >= 0 && d.weight() <= 100, Violations.join(p, "destinations.weight"), d.weight(), "0..100");
      sum += d.weight();
    }
    v.check(sum == 100, Violations.join(p, "destinations"), "weights summing to " + sum, "weights summing to 100");
  }

  /** A route sending everything that matches to the endpoints labelled {@code labels}. */
  public static Route toSubset(String name, Map<String, String> headers, Map<String, String> labels) {
    return new Route(name, Set.of(), "", headers, List.of(new Destination(labels, 100)), null, null);
  }

  /** Whether a request with this method, path and header lookup matches. */
  public boolean matches(String method, String path, java.util.function.UnaryOperator<String> header) {
    if (!methods.isEmpty() && !methods.contains(method)) {
      return false;
    }
    if (!pathPrefix.isEmpty() && !path.startsWith(pathPrefix)) {
      return false;
    }
    for (Map.Entry<String, String> h : headers.entrySet()) {
      if (!h.getValue().equals(header.apply(h.getKey()))) {
        return false;
      }
    }
    return true;
  }
}

package io.mesh4j.controlplane.server;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A request's query parameters, in order, percent-decoded. Hand-rolled rather than Jetty's
 * {@code Request.extractQueryParameters}: every long-poll parses one, and the general parser allocated a
 * fifth of everything the server allocated under 10,000 watchers.
 */
final class Query {
  private static final Query EMPTY = new Query(List.of());

  private final List<String[]> pairs;

  private Query(List<String[]> pairs) {
    this.pairs = pairs;
  }

  /**
   * Parses a raw (still encoded) query string; null or empty gives no parameters.
   *
   * @throws IllegalArgumentException on a malformed percent-escape
   */
  static Query parse(String raw) {
    if (raw == null || raw.isEmpty()) {
      return EMPTY;
    }
    List<String[]> pairs = new ArrayList<>(4);
    int start = 0;
    int n = raw.length();
    while (start <= n) {
      int amp = raw.indexOf('&', start);
      int end = amp < 0 ? n : amp;
      if (end > start) {
        int eq = raw.indexOf('=', start);
        if (eq < 0 || eq > end) {
          pairs.add(new String[] {decode(raw, start, end), ""});
        } else {
          pairs.add(new String[] {decode(raw, start, eq), decode(raw, eq + 1, end)});
        }
      }
      start = end + 1;
    }
    return new Query(pairs);
  }

  private static String decode(String raw, int from, int to) {
    String s = raw.substring(from, to);
    return s.indexOf('%') < 0 && s.indexOf('+') < 0 ? s : URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  /**
   * The value of a single-valued parameter, or null when absent.
   *
   * @throws Problem 400 when {@code name} is given more than once ({@code since=1&since=2}): which one
   *     was meant is not ours to guess
   */
  String getValue(String name) {
    String value = null;
    int seen = 0;
    for (String[] p : pairs) {
      if (p[0].equals(name)) {
        value = p[1];
        seen++;
      }
    }
    if (seen > 1) {
      throw Problem.badRequest("Invalid query", "query." + name, "given " + seen + " times (expected: once)");
    }
    return value;
  }

  /** Every value of {@code name}, in order (empty when absent). */
  List<String> getValues(String name) {
    List<String> out = new ArrayList<>(2);
    for (String[] p : pairs) {
      if (p[0].equals(name)) {
        out.add(p[1]);
      }
    }
    return out;
  }

  /** The parameter names, in order of first appearance. */
  Set<String> names() {
    Set<String> out = new LinkedHashSet<>();
    for (String[] p : pairs) {
      out.add(p[0]);
    }
    return out;
  }

  /** Whether every parameter is one of {@code allowed}. */
  boolean onlyFrom(Set<String> allowed) {
    for (String[] p : pairs) {
      if (!allowed.contains(p[0])) {
        return false;
      }
    }
    return true;
  }
}

package io.mesh4j.controlplane.server;

import io.mesh4j.controlplane.store.Store;
import io.mesh4j.policy.Durations;
import java.time.Duration;

/** Parsing and checking of names, revisions and durations from paths, queries and headers. */
final class Params {
  /** A DNS label: what a service name may be (so it can also be a host name). */
  static final String SERVICE_NAME_EXPECTED = io.mesh4j.discovery.ServiceNames.EXPECTED;

  private Params() {}

  static String serviceName(String path, String name) {
    if (!isServiceName(name)) {
      throw Problem.badRequest("Invalid service name", path, quote(name) + " (expected: " + SERVICE_NAME_EXPECTED
          + ")");
    }
    return name;
  }

  /** The mesh's one rule ({@link io.mesh4j.discovery.ServiceNames}). */
  static boolean isServiceName(String name) {
    return io.mesh4j.discovery.ServiceNames.isValid(name);
  }

  /** A revision: a non-negative integer. */
  static long revision(String path, String text) {
    if (isDecimal(text, 18)) {
      return Long.parseLong(text);
    }
    throw Problem.badRequest("Invalid revision", path, quote(text) + " (expected: a revision, an integer >= 0)");
  }

  /**
   * The {@code If-Match} header as a revision: {@code 12} or {@code "12"} (the ETag form); absent means
   * {@link Store#ANY}. {@code 0} means "only if there is no policy".
   */
  static long ifMatch(String header) {
    if (header == null) {
      return Store.ANY;
    }
    String t = header.strip();
    if (t.startsWith("\"") && t.endsWith("\"") && t.length() >= 2) {
      t = t.substring(1, t.length() - 1);
    }
    if (isDecimal(t, 18)) {
      return Long.parseLong(t);
    }
    throw Problem.badRequest("Invalid If-Match", "header.If-Match", quote(header)
        + " (expected: the revision to replace, as 12 or \"12\"; 0 to create only)");
  }

  private record Parsed(String text, Duration value) {}

  /** The last duration parsed: clients send the same {@code wait} with every poll. */
  private static volatile Parsed lastDuration = new Parsed("30s", Duration.ofSeconds(30));

  /** A duration as {@code 30s}, {@code 500ms}, {@code 2m}, or bare seconds ({@code 30}). */
  static Duration duration(String path, String text, Duration min, Duration max) {
    Parsed last = lastDuration;
    if (last.text.equals(text) && last.value.compareTo(min) >= 0 && last.value.compareTo(max) <= 0) {
      return last.value;
    }
    Duration d = null;
    try {
      d = isDecimal(text, 9) ? Duration.ofSeconds(Long.parseLong(text)) : Durations.parse(text);
    } catch (IllegalArgumentException e) {
      // below
    }
    if (d == null || d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw Problem.badRequest("Invalid duration", path, quote(text) + " (expected: a duration from "
          + Durations.format(min) + " to " + Durations.format(max) + ", such as \"30s\" or \"500ms\")");
    }
    lastDuration = new Parsed(text, d);
    return d;
  }

  /**
   * A duration in a JSON body: a string as in policies ({@code "30s"}, {@code "PT30S"}). A bare number is
   * refused, as in policies: 30 could mean seconds or milliseconds.
   */
  static Duration bodyDuration(String path, com.fasterxml.jackson.databind.JsonNode n, Duration min, Duration max) {
    Duration d = null;
    try {
      d = n.isTextual() ? Durations.parse(n.textValue()) : null;
    } catch (IllegalArgumentException e) {
      // below
    }
    if (d == null || d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw Problem.badRequest("Invalid duration", path, io.mesh4j.internal.JsonText.shown(n)
          + " (expected: a duration string from " + Durations.format(min) + " to " + Durations.format(max)
          + ", such as \"30s\" or \"500ms\")");
    }
    return d;
  }

  static int intParam(String path, String text, int min, int max) {
    if (isDecimal(text, 9)) {
      int v = Integer.parseInt(text);
      if (v >= min && v <= max) {
        return v;
      }
    }
    throw Problem.badRequest("Invalid parameter", path, quote(text) + " (expected: an integer " + min + ".." + max
        + ")");
  }

  /**
   * Whether {@code text} is 1..{@code maxDigits} ASCII digits and nothing else: no sign, no spaces, no
   * other script's digits (Java's {@code Long.parseLong} takes {@code "+13"} and Arabic-Indic digits).
   */
  static boolean isDecimal(String text, int maxDigits) {
    if (text == null || text.isEmpty() || text.length() > maxDigits) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** Quotes user input for an error message, shortened so a huge value does not come back whole. */
  static String quote(String s) {
    if (s == null) {
      return "missing";
    }
    return "'" + io.mesh4j.internal.JsonText.shortened(s) + "'";
  }
}

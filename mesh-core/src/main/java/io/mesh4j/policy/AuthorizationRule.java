package io.mesh4j.policy;

import io.mesh4j.discovery.ServiceNames;
import io.mesh4j.internal.JsonText;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * One allow or deny rule of a service's {@link AuthorizationPolicy}: it matches a call when every
 * condition it gives matches (a condition left empty matches anything).
 *
 * <ul>
 *   <li>{@code from}: the caller's verified mesh identity (the service name in its certificate):
 *       {@code "orders"}, a prefix {@code "orders-*"}, or {@code "*"} for any caller <em>with</em> an
 *       identity. Left empty, the rule matches every caller, including one without an identity.</li>
 *   <li>{@code methods} and {@code paths} (HTTP calls only): upper-case methods ({@code GET} covers
 *       {@code HEAD}, which servers answer with the GET handler); paths as
 *       {@code "/pay"} (that path and everything below it: {@code /pay/42}, not {@code /payroll}) or
 *       {@code "/pay/"} (only below it). A rule that names methods or paths never matches a gRPC call.</li>
 *   <li>{@code grpc} (gRPC calls only): {@code "shop.Payment/Charge"} or {@code "shop.Payment/*"}. A rule
 *       that names gRPC methods never matches an HTTP call.</li>
 * </ul>
 *
 * <pre>{@code
 * { "name": "orders-may-pay", "action": "allow", "from": ["orders"], "methods": ["POST"], "paths": ["/pay"] }
 * }</pre>
 *
 * @param name    shown in denials, metrics and span events
 * @param action  allow or deny
 * @param from    caller identity patterns; empty: any caller
 * @param methods HTTP methods; empty: any
 * @param paths   HTTP path prefixes; empty: any
 * @param grpc    gRPC methods; empty: any
 */
public record AuthorizationRule(String name, Action action, List<String> from, Set<String> methods,
    List<String> paths, List<String> grpc) {

  /** The most entries one condition of a rule may list. */
  public static final int MAX_ENTRIES = 64;

  /** What a matching rule does. */
  public enum Action {
    ALLOW, DENY;

    /** The JSON spelling: {@code allow} or {@code deny}. */
    public String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    static Action fromJsonName(String s) {
      for (Action a : values()) {
        if (a.jsonName().equals(s)) {
          return a;
        }
      }
      return null;
    }
  }

  public AuthorizationRule {
    String p = "authorization.rules[" + Objects.toString(name, "?") + "]";
    Violations v = new Violations();
    // Nulls first, with their own message: the copies below refuse them with a bare NullPointerException.
    noNulls(from, Violations.join(p, "from"), v);
    noNulls(methods, Violations.join(p, "methods"), v);
    noNulls(paths, Violations.join(p, "paths"), v);
    noNulls(grpc, Violations.join(p, "grpc"), v);
    v.throwIfAny();
    from = from == null ? List.of() : List.copyOf(from);
    methods = methods == null ? Set.of() : Set.copyOf(new TreeSet<>(methods));
    paths = paths == null ? List.of() : List.copyOf(paths);
    grpc = grpc == null ? List.of() : List.copyOf(grpc);
    validate(name, action, from, methods, paths, grpc, p, v);
    v.throwIfAny();
  }

  private static void noNulls(java.util.Collection<String> c, String path, Violations v) {
    if (c != null && c.stream().anyMatch(Objects::isNull)) {
      v.add(path, "null entry (expected: strings)");
    }
  }

  /** A rule allowing {@code callers} (identity patterns) to make any call. */
  public static AuthorizationRule allow(String name, List<String> callers) {
    return new AuthorizationRule(name, Action.ALLOW, callers, Set.of(), List.of(), List.of());
  }

  /** A rule denying {@code callers} (identity patterns) every call. */
  public static AuthorizationRule deny(String name, List<String> callers) {
    return new AuthorizationRule(name, Action.DENY, callers, Set.of(), List.of(), List.of());
  }

  static void validate(String name, Action action, List<String> from, Set<String> methods, List<String> paths,
      List<String> grpc, String p, Violations v) {
    v.check(name != null && name.matches("[A-Za-z0-9._-]{1,64}"), Violations.join(p, "name"),
        name == null ? "missing" : JsonText.shown(name), "1..64 of letters, digits, '.', '_', '-'");
    v.check(action != null, Violations.join(p, "action"), "missing", "allow or deny");
    size(from, Violations.join(p, "from"), v);
    for (String f : from) {
      // The names a caller can have: service names (ServiceNames), so that a rule that could never match
      // (upper case, '_') is refused instead of silently failing open.
      String base = f != null && f.endsWith("*") ? f.substring(0, f.length() - 1) : f;
      v.check(f != null && (f.equals("*") || ServiceNames.isValid(base)
              || (f.endsWith("*") && base.matches("[a-z0-9][a-z0-9-]{0,62}"))), Violations.join(p, "from"),
          JsonText.shown(String.valueOf(f)), "a service name (" + ServiceNames.EXPECTED + "), a prefix of one"
              + " followed by '*' such as \"orders-*\", or \"*\"");
    }
    size(methods, Violations.join(p, "methods"), v);
    for (String m : methods) {
      v.check(m != null && m.matches("[A-Z]{1,16}"), Violations.join(p, "methods"), JsonText.shown(String.valueOf(m)),
          "upper-case HTTP methods such as GET");
    }
    size(paths, Violations.join(p, "paths"), v);
    for (String path : paths) {
      v.check(path != null && isCanonical(path) && path.indexOf('*') < 0 && path.indexOf('?') < 0
              && path.indexOf('%') < 0, Violations.join(p, "paths"), JsonText.shown(String.valueOf(path)),
          "a canonical path starting with '/' such as \"/pay\" (no '//', '.' or '..' segments, ';', '\\',"
              + " '%', and no wildcards: \"/pay\" covers everything below it)");
    }
    size(grpc, Violations.join(p, "grpc"), v);
    for (String g : grpc) {
      v.check(g != null && g.matches("[A-Za-z_][A-Za-z0-9_.]*/(\\*|[A-Za-z_][A-Za-z0-9_]*)"), Violations.join(p, "grpc"),
          JsonText.shown(String.valueOf(g)), "a gRPC method such as \"shop.Payment/Charge\" or \"shop.Payment/*\"");
    }
    v.check(grpc.isEmpty() || (methods.isEmpty() && paths.isEmpty()), Violations.join(p, "grpc"),
        "given with methods or paths", "either HTTP conditions (methods, paths) or gRPC methods, not both");
  }

  /**
   * Whether {@code path} (as sent, still percent-encoded) is canonical: starts with '/', has no empty,
   * '.' or '..' segment, no ';' (path parameters), no '\\', and no encoded '.', '/' or '\\' that a server
   * could decode into one. A server that enforces rules refuses other paths: its container and its
   * framework could otherwise disagree on which path was called.
   */
  public static boolean isCanonical(String path) {
    if (path.isEmpty() || path.charAt(0) != '/' || path.indexOf(';') >= 0 || path.indexOf('\\') >= 0
        || path.contains("//")) {
      return false;
    }
    String lower = path.toLowerCase(java.util.Locale.ROOT);
    if (lower.contains("%2e") || lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00")) {
      return false;
    }
    int start = 1;
    while (start <= path.length()) {
      int end = path.indexOf('/', start);
      if (end < 0) {
        end = path.length();
      }
      int len = end - start;
      if ((len == 1 && path.charAt(start) == '.') || (len == 2 && path.startsWith("..", start))) {
        return false;
      }
      start = end + 1;
    }
    return true;
  }

  private static void size(java.util.Collection<String> c, String path, Violations v) {
    v.check(c.size() <= MAX_ENTRIES, path, c.size() + " entries", "at most " + MAX_ENTRIES);
  }

  /** Whether this rule matches {@code call}. Allocation-free. */
  public boolean matches(AccessRequest call) {
    if (!from.isEmpty() && !callerMatches(call.caller())) {
      return false;
    }
    if (call.grpcMethod() != null) {
      return methods.isEmpty() && paths.isEmpty() && (grpc.isEmpty() || grpcMatches(call.grpcMethod()));
    }
    if (!grpc.isEmpty()) {
      return false;
    }
    return (methods.isEmpty() || methods.contains(call.method())
            // servers answer HEAD with their GET handler: a rule about GET is about HEAD too
            || ("HEAD".equals(call.method()) && methods.contains("GET")))
        && (paths.isEmpty() || pathMatches(call.path()));
  }

  private boolean callerMatches(String caller) {
    if (caller == null) {
      return false; // patterns name identities; a caller without one matches none of them
    }
    for (String f : from) {
      if (f.equals("*") || f.equals(caller)
          || (f.endsWith("*") && caller.startsWith(f.substring(0, f.length() - 1)))) {
        return true;
      }
    }
    return false;
  }

  private boolean pathMatches(String path) {
    if (path == null) {
      return false;
    }
    for (String prefix : paths) {
      if (prefix.endsWith("/")) {
        if (path.startsWith(prefix)) {
          return true;
        }
      } else if (path.startsWith(prefix)
          && (path.length() == prefix.length() || path.charAt(prefix.length()) == '/')) {
        return true;
      }
    }
    return false;
  }

  private boolean grpcMatches(String fullMethod) {
    for (String g : grpc) {
      if (g.endsWith("/*")) {
        if (fullMethod.startsWith(g.substring(0, g.length() - 1))) {
          return true;
        }
      } else if (g.equals(fullMethod)) {
        return true;
      }
    }
    return false;
  }
}

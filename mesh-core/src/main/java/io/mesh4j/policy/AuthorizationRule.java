package io.mesh4j.policy;

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
 *   <li>{@code methods} and {@code paths} (HTTP calls only): upper-case methods; paths as
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
    from = from == null ? List.of() : List.copyOf(from);
    methods = methods == null ? Set.of() : Set.copyOf(new TreeSet<>(methods));
    paths = paths == null ? List.of() : List.copyOf(paths);
    grpc = grpc == null ? List.of() : List.copyOf(grpc);
    Violations v = new Violations();
    validate(name, action, from, methods, paths, grpc, "authorization.rules[" + Objects.toString(name, "?") + "]", v);
    v.throwIfAny();
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
      v.check(f != null && f.matches("\\*|[A-Za-z0-9][A-Za-z0-9._-]{0,127}\\*?"), Violations.join(p, "from"),
          JsonText.shown(String.valueOf(f)), "a service name, a prefix ending in '*' such as \"orders-*\", or \"*\"");
    }
    size(methods, Violations.join(p, "methods"), v);
    for (String m : methods) {
      v.check(m != null && m.matches("[A-Z]{1,16}"), Violations.join(p, "methods"), JsonText.shown(String.valueOf(m)),
          "upper-case HTTP methods such as GET");
    }
    size(paths, Violations.join(p, "paths"), v);
    for (String path : paths) {
      v.check(path != null && path.startsWith("/") && !path.contains("//") && !path.contains("/./")
              && !path.contains("/../") && !path.endsWith("/..") && !path.endsWith("/.") && !path.contains(";"),
          Violations.join(p, "paths"), JsonText.shown(String.valueOf(path)),
          "a canonical path starting with '/' such as \"/pay\" (no '//', '.', '..' or ';')");
    }
    size(grpc, Violations.join(p, "grpc"), v);
    for (String g : grpc) {
      v.check(g != null && g.matches("[A-Za-z_][A-Za-z0-9_.]*/(\\*|[A-Za-z_][A-Za-z0-9_]*)"), Violations.join(p, "grpc"),
          JsonText.shown(String.valueOf(g)), "a gRPC method such as \"shop.Payment/Charge\" or \"shop.Payment/*\"");
    }
    v.check(grpc.isEmpty() || (methods.isEmpty() && paths.isEmpty()), Violations.join(p, "grpc"),
        "given with methods or paths", "either HTTP conditions (methods, paths) or gRPC methods, not both");
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
    return (methods.isEmpty() || methods.contains(call.method())) && (paths.isEmpty() || pathMatches(call.path()));
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

package io.mesh4j.policy;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Who may call a service, for the service as a <em>server</em>: enforced in process by
 * {@code MeshServerFilter} (servlet) and {@code MeshServerInterceptor} (gRPC) before the handler runs,
 * pushed by the control plane with the rest of the service's policy.
 *
 * <p>Evaluation: a call matched by any {@code deny} rule is denied (the first such rule is named);
 * otherwise, when the policy has {@code allow} rules, the call must match one of them; a policy with
 * no rules allows everything. In {@code audit} mode a denial is logged and counted but the call
 * proceeds, so a rule set can be tried on live traffic before it is enforced.
 *
 * <pre>{@code
 * "authorization": {
 *   "mode": "enforce",
 *   "rules": [
 *     { "name": "orders-may-pay", "action": "allow", "from": ["orders"], "methods": ["POST"], "paths": ["/pay"] },
 *     { "name": "health", "action": "allow", "methods": ["GET"], "paths": ["/actuator/health"] }
 *   ]
 * }
 * }</pre>
 *
 * @param mode  enforce or audit
 * @param rules deny and allow rules; names unique
 */
public record AuthorizationPolicy(Mode mode, List<AuthorizationRule> rules) {

  /** The most rules one service may have. */
  public static final int MAX_RULES = 100;

  /** No rules: every call is allowed. */
  public static final AuthorizationPolicy NONE = new AuthorizationPolicy(Mode.ENFORCE, List.of());

  /** Whether denials refuse the call or are only logged and counted. */
  public enum Mode {
    ENFORCE, AUDIT;

    /** The JSON spelling: {@code enforce} or {@code audit}. */
    public String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    static Mode fromJsonName(String s) {
      for (Mode m : values()) {
        if (m.jsonName().equals(s)) {
          return m;
        }
      }
      return null;
    }
  }

  public AuthorizationPolicy {
    Objects.requireNonNull(mode, "mode");
    rules = List.copyOf(Objects.requireNonNull(rules, "rules"));
    Violations v = new Violations();
    validate(rules.size(), rules.stream().map(AuthorizationRule::name).toList(), "authorization", v);
    v.throwIfAny();
  }

  static void validate(int count, List<String> names, String p, Violations v) {
    v.check(count <= MAX_RULES, Violations.join(p, "rules"), count + " rules", "at most " + MAX_RULES);
    Set<String> seen = new HashSet<>();
    for (String n : names) {
      if (n != null && !seen.add(n)) {
        v.add(Violations.join(p, "rules"), "'" + n + "' used twice (expected: unique rule names)");
      }
    }
  }

  /** An enforcing policy with {@code rules}. */
  public static AuthorizationPolicy enforce(List<AuthorizationRule> rules) {
    return new AuthorizationPolicy(Mode.ENFORCE, rules);
  }

  /** An auditing policy with {@code rules}: denials are logged and counted, calls proceed. */
  public static AuthorizationPolicy audit(List<AuthorizationRule> rules) {
    return new AuthorizationPolicy(Mode.AUDIT, rules);
  }

  /** Whether the policy has no rules (allows everything). */
  public boolean isEmpty() {
    return rules.isEmpty();
  }

  /**
   * Decides {@code call} for {@code service} (named in the reason). Walks the rules once; allocates
   * only the decision, and nothing for an allowed call on a policy without rules.
   */
  public AuthorizationDecision decide(String service, AccessRequest call) {
    if (rules.isEmpty()) {
      return AuthorizationDecision.NO_RULES;
    }
    AuthorizationRule allowedBy = null;
    boolean anyAllow = false;
    for (AuthorizationRule r : rules) {
      if (r.action() == AuthorizationRule.Action.DENY) {
        if (r.matches(call)) {
          return denial(r.name(), call.callerText() + " may not call " + service + " " + call.target()
              + ": denied by rule '" + r.name() + "'");
        }
      } else {
        anyAllow = true;
        if (allowedBy == null && r.matches(call)) {
          allowedBy = r;
        }
      }
    }
    if (allowedBy != null) {
      return new AuthorizationDecision(AuthorizationDecision.Effect.ALLOWED, allowedBy.name(),
          "allowed by rule '" + allowedBy.name() + "'");
    }
    if (!anyAllow) {
      return new AuthorizationDecision(AuthorizationDecision.Effect.ALLOWED, null, "no deny rule matches");
    }
    // The rule names are not listed: the sentence goes back to the caller, who need not learn the policy.
    return denial(null, call.callerText() + " may not call " + service + " " + call.target()
        + ": no allow rule matches");
  }

  private AuthorizationDecision denial(String rule, String reason) {
    return new AuthorizationDecision(mode == Mode.AUDIT ? AuthorizationDecision.Effect.AUDITED
        : AuthorizationDecision.Effect.DENIED, rule, mode == Mode.AUDIT ? reason + " (audit mode: allowed)" : reason);
  }
}

package io.mesh4j.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.internal.JsonText;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The {@code authorization} section of policy JSON, for {@link PolicyCodec}. */
final class AuthorizationCodec {
  private static final Set<String> FIELDS = Set.of("mode", "rules");
  private static final Set<String> RULE_FIELDS = Set.of("name", "action", "from", "methods", "paths", "grpc");

  private AuthorizationCodec() {}

  static AuthorizationPolicy read(JsonNode root, Violations v) {
    JsonNode a = root.get("authorization");
    if (a == null || a.isNull()) {
      return AuthorizationPolicy.NONE;
    }
    if (!a.isObject()) {
      v.add("authorization", a.getNodeType().toString().toLowerCase() + " (expected: an object)");
      return AuthorizationPolicy.NONE;
    }
    PolicyCodec.unknownFields(a, "authorization", FIELDS, v);
    AuthorizationPolicy.Mode mode = AuthorizationPolicy.Mode.ENFORCE;
    JsonNode m = a.get("mode");
    if (m != null && !m.isNull()) {
      mode = m.isTextual() ? AuthorizationPolicy.Mode.fromJsonName(m.asText()) : null;
      v.check(mode != null, "authorization.mode", JsonText.shown(m), "enforce or audit");
    }
    JsonNode rs = a.get("rules");
    List<AuthorizationRule> rules = new ArrayList<>();
    List<String> names = new ArrayList<>();
    if (rs != null && !rs.isNull() && !rs.isArray()) {
      v.add("authorization.rules", rs.getNodeType().toString().toLowerCase() + " (expected: an array of rules)");
    } else if (rs != null && rs.isArray()) {
      for (int i = 0; i < rs.size(); i++) {
        String p = "authorization.rules[" + i + "]";
        JsonNode r = rs.get(i);
        if (!r.isObject()) {
          v.add(p, r.getNodeType().toString().toLowerCase() + " (expected: an object)");
          continue;
        }
        PolicyCodec.unknownFields(r, p, RULE_FIELDS, v);
        String name = text(r, p, "name", v);
        names.add(name);
        String actionText = text(r, p, "action", v);
        AuthorizationRule.Action action = actionText == null ? null : AuthorizationRule.Action.fromJsonName(actionText);
        if (actionText != null && action == null) {
          v.add(p + ".action", JsonText.shown(actionText) + " (expected: allow or deny)");
        }
        List<String> from = PolicyCodec.strings(r, p, "from", v);
        Set<String> methods = new TreeSet<>(PolicyCodec.strings(r, p, "methods", v));
        List<String> paths = PolicyCodec.strings(r, p, "paths", v);
        List<String> grpc = PolicyCodec.strings(r, p, "grpc", v);
        int before = v.size();
        AuthorizationRule.validate(name, action, from, methods, paths, grpc, p, v);
        if (v.size() == before && v.isEmpty()) {
          rules.add(new AuthorizationRule(name, action, from, methods, paths, grpc));
        }
      }
    }
    AuthorizationPolicy.validate(rs != null && rs.isArray() ? rs.size() : 0, names, "authorization", v);
    return v.isEmpty() && mode != null ? new AuthorizationPolicy(mode, rules) : AuthorizationPolicy.NONE;
  }

  /**
   * Writes the section, or nothing for {@link AuthorizationPolicy#NONE}: clients older than the section
   * refuse a policy with a field they do not know, so a policy without rules is written as before.
   */
  static void write(ObjectNode root, AuthorizationPolicy policy) {
    if (policy.equals(AuthorizationPolicy.NONE)) {
      return;
    }
    ObjectNode a = root.putObject("authorization");
    a.put("mode", policy.mode().jsonName());
    ArrayNode rules = a.putArray("rules");
    for (AuthorizationRule r : policy.rules()) {
      ObjectNode rn = rules.addObject();
      rn.put("name", r.name());
      rn.put("action", r.action().jsonName());
      if (!r.from().isEmpty()) {
        r.from().forEach(rn.putArray("from")::add);
      }
      if (!r.methods().isEmpty()) {
        new TreeSet<>(r.methods()).forEach(rn.putArray("methods")::add);
      }
      if (!r.paths().isEmpty()) {
        r.paths().forEach(rn.putArray("paths")::add);
      }
      if (!r.grpc().isEmpty()) {
        r.grpc().forEach(rn.putArray("grpc")::add);
      }
    }
  }

  private static String text(JsonNode r, String p, String field, Violations v) {
    JsonNode n = r.get(field);
    if (n == null || n.isNull()) {
      return null; // reported as missing by the rule's validation
    }
    if (!n.isTextual()) {
      v.add(p + "." + field, JsonText.shown(n) + " (expected: a string)");
      return null;
    }
    return n.asText();
  }
}

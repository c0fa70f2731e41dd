package io.mesh4j.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.mesh4j.policy.AuthorizationDecision.Effect;
import io.mesh4j.policy.AuthorizationRule.Action;
import io.mesh4j.policy.InvalidPolicyException.Violation;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Authorization rules (issue 13): matching, deny before allow, audit mode, validation and JSON. */
class AuthorizationPolicyTest {
  static final AuthorizationRule ORDERS_MAY_PAY =
      new AuthorizationRule("orders-may-pay", Action.ALLOW, List.of("orders"), Set.of("POST"), List.of("/pay"), null);
  static final AuthorizationRule HEALTH =
      new AuthorizationRule("health", Action.ALLOW, null, Set.of("GET"), List.of("/actuator/health"), null);
  static final AuthorizationRule NO_LEGACY = AuthorizationRule.deny("no-legacy", List.of("legacy-*"));

  private static AuthorizationDecision decide(AuthorizationPolicy p, AccessRequest call) {
    return p.decide("payment", call);
  }

  @Test
  void withoutRulesEverythingIsAllowed() {
    AuthorizationDecision d = decide(AuthorizationPolicy.NONE, AccessRequest.http(null, "DELETE", "/anything"));
    assertThat(d).isSameAs(AuthorizationDecision.NO_RULES);
    assertThat(d.allowed()).isTrue();
  }

  @Test
  void allowRulesAreAnAllowList() {
    AuthorizationPolicy p = AuthorizationPolicy.enforce(List.of(ORDERS_MAY_PAY, HEALTH));
    assertThat(decide(p, AccessRequest.http("orders", "POST", "/pay"))).extracting(
        AuthorizationDecision::effect, AuthorizationDecision::rule).containsExactly(Effect.ALLOWED, "orders-may-pay");
    assertThat(decide(p, AccessRequest.http("orders", "POST", "/pay/42")).allowed()).isTrue();
    // a path prefix ends at a segment boundary: /payroll is not below /pay
    AuthorizationDecision payroll = decide(p, AccessRequest.http("orders", "POST", "/payroll"));
    assertThat(payroll.effect()).isEqualTo(Effect.DENIED);
    assertThat(payroll.rule()).isNull();
    // (the rule names are not listed: the reason goes back to the caller)
    assertThat(payroll.reason()).isEqualTo("caller 'orders' may not call payment POST /payroll: no allow rule"
        + " matches");
    assertThat(decide(p, AccessRequest.http("orders", "GET", "/pay")).allowed()).isFalse();
    assertThat(decide(p, AccessRequest.http("billing", "POST", "/pay")).allowed()).isFalse();
    // a rule without "from" matches callers without an identity too; one with "from" never does
    assertThat(decide(p, AccessRequest.http(null, "GET", "/actuator/health")).allowed()).isTrue();
    AuthorizationDecision anonymous = decide(p, AccessRequest.http(null, "POST", "/pay"));
    assertThat(anonymous.allowed()).isFalse();
    assertThat(anonymous.reason()).startsWith("a caller without a mesh identity may not call payment POST /pay");
  }

  @Test
  void aDenyRuleWinsOverAnyAllowRule() {
    AuthorizationPolicy p = AuthorizationPolicy.enforce(List.of(AuthorizationRule.allow("anyone", List.of("*")),
        NO_LEGACY));
    assertThat(decide(p, AccessRequest.http("orders", "GET", "/")).allowed()).isTrue();
    AuthorizationDecision d = decide(p, AccessRequest.http("legacy-billing", "GET", "/"));
    assertThat(d).extracting(AuthorizationDecision::effect, AuthorizationDecision::rule)
        .containsExactly(Effect.DENIED, "no-legacy");
    assertThat(d.reason()).isEqualTo("caller 'legacy-billing' may not call payment GET /: denied by rule 'no-legacy'");
    // "*" means any caller with an identity: one without is denied
    assertThat(decide(p, AccessRequest.http(null, "GET", "/")).allowed()).isFalse();
    // only deny rules: everything else is allowed
    AuthorizationPolicy denyOnly = AuthorizationPolicy.enforce(List.of(NO_LEGACY));
    assertThat(decide(denyOnly, AccessRequest.http(null, "GET", "/")).allowed()).isTrue();
    assertThat(decide(denyOnly, AccessRequest.http("legacy-x", "GET", "/")).allowed()).isFalse();
  }

  @Test
  void grpcRulesMatchGrpcCallsAndHttpRulesHttpCalls() {
    AuthorizationRule charge = new AuthorizationRule("charge", Action.ALLOW, List.of("orders"), null, null,
        List.of("shop.Payment/Charge"));
    AuthorizationRule status = new AuthorizationRule("status", Action.ALLOW, null, null, null,
        List.of("grpc.health.v1.Health/*"));
    AuthorizationPolicy p = AuthorizationPolicy.enforce(List.of(charge, status, ORDERS_MAY_PAY));
    assertThat(decide(p, AccessRequest.grpc("orders", "shop.Payment/Charge")).rule()).isEqualTo("charge");
    assertThat(decide(p, AccessRequest.grpc("orders", "shop.Payment/Refund")).allowed()).isFalse();
    assertThat(decide(p, AccessRequest.grpc(null, "grpc.health.v1.Health/Check")).rule()).isEqualTo("status");
    assertThat(decide(p, AccessRequest.grpc(null, "grpc.health.v1.HealthX/Check")).allowed()).isFalse();
    // the HTTP rule does not match a gRPC call, the gRPC rules do not match HTTP calls
    assertThat(decide(p, AccessRequest.grpc("orders", "/pay")).allowed()).isFalse();
    assertThat(decide(p, AccessRequest.http("orders", "POST", "/shop.Payment/Charge")).allowed()).isFalse();
  }

  @Test
  void auditModeLetsADeniedCallThroughAndSaysSo() {
    AuthorizationPolicy p = AuthorizationPolicy.audit(List.of(ORDERS_MAY_PAY));
    AuthorizationDecision d = decide(p, AccessRequest.http("billing", "POST", "/pay"));
    assertThat(d.effect()).isEqualTo(Effect.AUDITED);
    assertThat(d.allowed()).isTrue();
    assertThat(d.reason()).endsWith("(audit mode: allowed)");
    assertThat(decide(p, AccessRequest.http("orders", "POST", "/pay")).effect()).isEqualTo(Effect.ALLOWED);
  }

  @Test
  void badRulesAreRefusedWithEveryProblemNamed() {
    InvalidPolicyException e = catchThrowableOfType(InvalidPolicyException.class, () -> PolicyCodec.fromJson("""
        {"authorization": {"mode": "log", "colour": 1, "rules": [
          {"name": "a", "action": "permit", "from": ["or*ders", 5], "methods": ["get"], "paths": ["pay", "/a/../b"]},
          {"name": "b", "action": "allow", "grpc": ["Payment"], "paths": ["/x"]},
          {"name": "a", "action": "deny"},
          {"action": "allow"}
        ]}}"""));
    assertThat(e.violations().stream().map(Violation::toString).toList()).containsExactlyInAnyOrder(
        "authorization.colour: unknown field (expected one of: mode, rules)",
        "authorization.mode: \"log\" (expected: enforce or audit)",
        "authorization.rules[0].action: \"permit\" (expected: allow or deny)",
        "authorization.rules[0].from: 5 (expected: a string)",
        "authorization.rules[0].methods: \"get\" (expected: upper-case HTTP methods such as GET)",
        "authorization.rules[0].paths: \"pay\" (expected: a canonical path starting with '/' such as \"/pay\""
            + " (no '//', '.' or '..' segments, ';', '\\', '%', and no wildcards: \"/pay\" covers everything below"
            + " it))",
        "authorization.rules[1].grpc: \"Payment\" (expected: a gRPC method such as \"shop.Payment/Charge\" or"
            + " \"shop.Payment/*\")",
        "authorization.rules[3].name: missing (expected: 1..64 of letters, digits, '.', '_', '-')",
        "authorization.rules: 'a' used twice (expected: unique rule names)");
    // (rules[0].from "or*ders" is reported as well, under the same path as the 5, which came first)
  }

  @Test
  void getRulesCoverHeadAndOnlyNamesACallerCanHaveAreAccepted() {
    AuthorizationPolicy p = AuthorizationPolicy.enforce(List.of(new AuthorizationRule("no-reads", Action.DENY, null,
        Set.of("GET"), List.of("/secret"), null)));
    assertThat(decide(p, AccessRequest.http("orders", "HEAD", "/secret")).allowed()).isFalse();
    assertThat(decide(p, AccessRequest.http("orders", "POST", "/secret")).allowed()).isTrue();
    // Upper case or '_' can never be a caller's name: refused rather than failing open.
    for (String bad : List.of("Legacy-*", "legacy_svc", "-x", "a*b")) {
      InvalidPolicyException e = catchThrowableOfType(InvalidPolicyException.class,
          () -> AuthorizationRule.deny("d", List.of(bad)));
      assertThat(e).as(bad).isNotNull();
      assertThat(e.getMessage()).contains("authorization.rules[d].from", "expected: a service name");
    }
    // Wildcards and encodings in paths are not patterns: refused.
    for (String bad : List.of("/api/*/admin", "/a?b", "/a%2Fb", "/a/./b", "/a//b", "/a;x", "pay")) {
      assertThat(catchThrowableOfType(InvalidPolicyException.class, () -> new AuthorizationRule("r", Action.ALLOW,
          null, null, List.of(bad), null))).as(bad).isNotNull();
    }
    // A null entry is named, not a bare NullPointerException.
    InvalidPolicyException nul = catchThrowableOfType(InvalidPolicyException.class, () -> new AuthorizationRule(
        "n", Action.ALLOW, java.util.Arrays.asList("orders", null), null, null, null));
    assertThat(nul.getMessage()).contains("authorization.rules[n].from: null entry (expected: strings)");
  }

  @Test
  void canonicalPathsAreThoseEveryServerAndFrameworkReadAlike() {
    for (String ok : List.of("/", "/pay", "/pay/", "/pay/42", "/a.b/c..d", "/%20x")) {
      assertThat(AuthorizationRule.isCanonical(ok)).as(ok).isTrue();
    }
    for (String bad : List.of("", "pay", "//pay", "/pay//x", "/.", "/..", "/a/./b", "/a/../b", "/a/..", "/a;b=1",
        "/a/%2e%2e/b", "/a/%2E/b", "/a%2fb", "/a%5Cb", "/a\\b", "/a%00")) {
      assertThat(AuthorizationRule.isCanonical(bad)).as(bad).isFalse();
    }
  }

  @Test
  void theSectionRoundTripsThroughJson() {
    ServicePolicy p = ServicePolicy.builder().authorization(AuthorizationPolicy.audit(List.of(ORDERS_MAY_PAY, HEALTH,
        NO_LEGACY, new AuthorizationRule("charge", Action.ALLOW, List.of("orders", "web-*"), null, null,
            List.of("shop.Payment/*"))))).build();
    String json = PolicyCodec.toJson(p);
    assertThat(PolicyCodec.fromJson(json)).isEqualTo(p);
    assertThat(json).contains("\"mode\" : \"audit\"", "\"action\" : \"deny\"", "\"grpc\" : [ \"shop.Payment/*\" ]");
    assertThat(PolicyCodec.fromJson("{\"authorization\": {}}").authorization()).isEqualTo(AuthorizationPolicy.NONE);
    assertThat(PolicyCodec.fromJson("{}").authorization()).isEqualTo(AuthorizationPolicy.NONE);
    // Without rules the section is not written: clients older than it would refuse the whole policy.
    assertThat(PolicyCodec.toTree(ServicePolicy.DEFAULT).has("authorization")).isFalse();
    assertThat(PolicyCodec.toTree(ServicePolicy.builder().authorization(AuthorizationPolicy.audit(List.of())).build())
        .has("authorization")).isTrue();
  }
}

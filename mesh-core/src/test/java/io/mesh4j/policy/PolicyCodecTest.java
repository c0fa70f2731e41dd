package io.mesh4j.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.policy.InvalidPolicyException.Violation;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** JSON mapping of ServicePolicy: round trips, defaults and error reporting. */
class PolicyCodecTest {

  private static InvalidPolicyException invalid(String json) {
    InvalidPolicyException e = catchThrowableOfType(InvalidPolicyException.class, () -> PolicyCodec.fromJson(json));
    assertThat(e).as("expected %s to be rejected", json).isNotNull();
    return e;
  }

  private static List<String> paths(InvalidPolicyException e) {
    return e.violations().stream().map(Violation::path).toList();
  }

  private static ServicePolicy custom() {
    return new ServicePolicy(
        new TimeoutPolicy(Duration.ofMillis(2500), Duration.ofMillis(750)),
        new BalancerPolicy(BalancerAlgorithm.ROUND_ROBIN, Duration.ofSeconds(3), Duration.ofMillis(5)),
        new OutlierPolicy(false, 7, Duration.ofSeconds(15), Duration.ofMinutes(2), 30, 20));
  }

  @Test
  void defaultPolicyRoundTrips() {
    assertThat(PolicyCodec.fromJson(PolicyCodec.toJson(ServicePolicy.DEFAULT))).isEqualTo(ServicePolicy.DEFAULT);
  }

  @Test
  void customPolicyRoundTrips() {
    ServicePolicy p = custom();

    assertThat(PolicyCodec.fromJson(PolicyCodec.toJson(p))).isEqualTo(p);
  }

  @Test
  void everyAlgorithmRoundTrips() {
    for (BalancerAlgorithm a : BalancerAlgorithm.values()) {
      ServicePolicy p = ServicePolicy.builder().balancer(a).build();
      assertThat(PolicyCodec.fromJson(PolicyCodec.toJson(p))).isEqualTo(p);
    }
  }

  @Test
  void toJsonWritesEveryFieldInTheDocumentedForm() {
    ObjectNode tree = PolicyCodec.toTree(custom());

    assertThat(tree.at("/timeouts/total").asText()).isEqualTo("2500ms");
    assertThat(tree.at("/timeouts/perAttempt").asText()).isEqualTo("750ms");
    assertThat(tree.at("/balancer/algorithm").asText()).isEqualTo("round-robin");
    assertThat(tree.at("/balancer/decay").asText()).isEqualTo("3s");
    assertThat(tree.at("/balancer/defaultRtt").asText()).isEqualTo("5ms");
    assertThat(tree.at("/outlier/enabled").asBoolean(true)).isFalse();
    assertThat(tree.at("/outlier/consecutiveFailures").asInt()).isEqualTo(7);
    assertThat(tree.at("/outlier/baseEjectionTime").asText()).isEqualTo("15s");
    assertThat(tree.at("/outlier/maxEjectionTime").asText()).isEqualTo("2m");
    assertThat(tree.at("/outlier/maxEjectionPercent").asInt()).isEqualTo(30);
    assertThat(tree.at("/outlier/panicThresholdPercent").asInt()).isEqualTo(20);
    assertThat(PolicyCodec.toTree(ServicePolicy.DEFAULT).at("/timeouts").has("perAttempt")).isFalse();
  }

  @Test
  void emptyDocumentIsTheDefault() {
    assertThat(PolicyCodec.fromJson("{}")).isEqualTo(ServicePolicy.DEFAULT);
    assertThat(PolicyCodec.fromJson("{\"timeouts\": {}, \"outlier\": {}}")).isEqualTo(ServicePolicy.DEFAULT);
  }

  @Test
  void nullIsNotTheDefaultAndEveryNullIsNamed() {
    // Before: {"timeouts": {"total": null}} was accepted (and stored) as the default.
    InvalidPolicyException e = invalid("""
        {"timeouts": {"total": null}, "balancer": null,
         "outlier": {"consecutiveFailures": 3, "maxEjectionTime": null},
         "routes": [{"name": null, "destinations": [{"labels": {"v": null}, "weight": 100}]}]}""");
    assertThat(paths(e)).containsExactlyInAnyOrder("timeouts.total", "balancer", "outlier.maxEjectionTime",
        "routes[0].name", "routes[0].destinations[0].labels.v");
    assertThat(e.violations()).filteredOn(v -> v.path().equals("timeouts.total")).singleElement()
        .hasToString("timeouts.total: null (expected: a value; leave the field out to get its default)");
  }

  @Test
  void controlCharactersAndUnpairedSurrogatesAreRefusedInValuesAndFieldNames() {
    InvalidPolicyException e = invalid("""
        {"timeouts": {"total": "2s\\u0000"},
         "routes": [{"name": "r", "match": {"headers": {"x\\u0000y": "1", "z": "\\udc00"}},
                     "destinations": [{"labels": {}, "weight": 100}]}]}""");
    assertThat(paths(e)).containsExactlyInAnyOrder("timeouts.total", "routes[0].match.headers.\"x\\u0000y\"",
        "routes[0].match.headers.z");
    assertThat(e.getMessage()).contains("U+0000, a control character").contains("unpaired surrogate U+DC00")
        .doesNotContain("\u0000");
  }

  @Test
  void aLongBadValueIsShownShort() {
    InvalidPolicyException e = invalid("{\"timeouts\": {\"total\": \"" + "9".repeat(200_000) + "s\"},"
        + " \"routes\": [{\"name\": \"" + "n".repeat(10_000) + "\", \"destinations\": []}]}");
    assertThat(e.getMessage().length()).isLessThan(1_000);
    assertThat(e.getMessage()).contains("(200001 characters)").contains("(10000 characters)");
  }

  @Test
  void missingFieldsTakeTheirDefaults() {
    ServicePolicy p = PolicyCodec.fromJson("""
        {"timeouts": {"total": "2s"}, "balancer": {"algorithm": "p2c-least-request"},
         "outlier": {"consecutiveFailures": 3}}""");

    assertThat(p).isEqualTo(ServicePolicy.builder()
        .totalTimeout(Duration.ofSeconds(2))
        .balancer(BalancerAlgorithm.P2C_LEAST_REQUEST)
        .outlier(OutlierPolicy.builder().consecutiveFailures(3).build())
        .build());
  }

  @Test
  void isoDurationsAreAccepted() {
    ServicePolicy p = PolicyCodec.fromJson("{\"timeouts\": {\"total\": \"PT1.5S\", \"perAttempt\": \"PT0.5S\"}}");

    assertThat(p.timeouts().total()).isEqualTo(Duration.ofMillis(1500));
    assertThat(p.timeouts().perAttemptTimeout()).contains(Duration.ofMillis(500));
  }

  @Test
  void oneExceptionListsEveryBadFieldOfADocument() {
    InvalidPolicyException e = invalid("""
        {
          "retries": 3,
          "colour": "red",
          "timeouts": {"total": "-5s"},
          "balancer": {"algorithm": "fastest", "decay": "10s"},
          "outlier": {"consecutiveFailures": "five", "maxEjectionPercent": 150, "panicThresholdPercent": -1,
                      "baseEjectionTime": "30s", "maxEjectionTime": "10s", "enabled": "yes", "jitter": true}
        }""");

    assertThat(paths(e)).containsExactlyInAnyOrder(
        "retries",
        "colour",
        "timeouts.total",
        "balancer.algorithm",
        "outlier.jitter",
        "outlier.enabled",
        "outlier.consecutiveFailures",
        "outlier.maxEjectionTime",
        "outlier.maxEjectionPercent",
        "outlier.panicThresholdPercent");
    assertThat(e.getMessage()).startsWith("invalid policy: ")
        .contains("retries: number (expected: an object)")
        .contains("colour: unknown field (expected one of: authorization, balancer, circuitBreaker, faults, hedging, limits, outlier,"
            + " retries, routes, timeouts)")
        .contains("timeouts.total: -5s (expected: a duration > 0")
        .contains("balancer.algorithm: \"fastest\" (expected: one of p2c-peak-ewma, p2c-least-request, round-robin)")
        .contains("outlier.consecutiveFailures: \"five\" (expected: an integer)")
        .contains("outlier.maxEjectionPercent: 150 (expected: 0..100)")
        .contains("outlier.panicThresholdPercent: -1 (expected: 0..100)")
        .contains("outlier.maxEjectionTime: 10s (expected: >= outlier.baseEjectionTime (30s))")
        .contains("outlier.enabled: \"yes\" (expected: true or false)")
        .contains("outlier.jitter: unknown field");
    assertThat(e).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void perAttemptLongerThanTotalIsRejected() {
    InvalidPolicyException e = invalid("{\"timeouts\": {\"total\": \"1s\", \"perAttempt\": \"2s\"}}");

    assertThat(e.violations()).singleElement().hasToString("timeouts.perAttempt: 2s (expected: <= timeouts.total (1s))");
  }

  @Test
  void badDurationsAndWrongTypesAreEachReportedOnceAndNotAsMissing() {
    InvalidPolicyException e = invalid("""
        {"timeouts": {"total": 5, "perAttempt": "soon"},
         "balancer": {"decay": "10 seconds", "defaultRtt": true, "algorithm": 1},
         "outlier": {"baseEjectionTime": "1d", "maxEjectionTime": [], "maxEjectionPercent": 12.5}}""");

    assertThat(paths(e)).containsExactly(
        "timeouts.total",
        "timeouts.perAttempt",
        "balancer.algorithm",
        "balancer.decay",
        "balancer.defaultRtt",
        "outlier.baseEjectionTime",
        "outlier.maxEjectionTime",
        "outlier.maxEjectionPercent");
    assertThat(e.violations()).noneMatch(v -> v.problem().startsWith("missing"));
    assertThat(e.violations().get(0).problem()).isEqualTo(
        "5 (expected: a duration such as \"250ms\", \"10s\", \"5m\" or \"PT1S\")");
  }

  @Test
  void zeroAndOutOfRangeValuesAreRejected() {
    InvalidPolicyException e = invalid("""
        {"timeouts": {"total": "0s"},
         "balancer": {"decay": "2h", "defaultRtt": "0ms"},
         "outlier": {"consecutiveFailures": 0, "baseEjectionTime": "0s"}}""");

    assertThat(paths(e)).containsExactlyInAnyOrder("timeouts.total", "balancer.decay", "balancer.defaultRtt",
        "outlier.consecutiveFailures", "outlier.baseEjectionTime");
  }

  @Test
  void sectionOfTheWrongTypeIsReported() {
    InvalidPolicyException e = invalid("{\"timeouts\": \"2s\", \"outlier\": [1]}");

    assertThat(e.violations()).extracting(Violation::toString).containsExactly(
        "timeouts: string (expected: an object)",
        "outlier: array (expected: an object)");
  }

  @Test
  void malformedJsonIsOneViolationAtTheRoot() {
    InvalidPolicyException e = invalid("{\"timeouts\": {\"total\": \"2s\"");

    assertThat(e.violations()).singleElement().satisfies(v -> {
      assertThat(v.path()).isEqualTo("$");
      assertThat(v.problem()).startsWith("malformed JSON at line 1, column").endsWith("(expected: a JSON object)");
    });
  }

  @Test
  void documentThatIsNotAnObjectIsOneViolationAtTheRoot() {
    for (String json : List.of("[]", "42", "\"policy\"", "null", "")) {
      InvalidPolicyException e = invalid(json);
      assertThat(paths(e)).as(json).containsExactly("$");
      assertThat(e.violations().get(0).problem()).as(json).endsWith("(expected: a JSON object)");
    }
  }

  @Test
  void violationsListIsImmutable() {
    InvalidPolicyException e = invalid("{\"x\": 1}");

    assertThat(e.violations()).hasSize(1);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> e.violations().add(new Violation("y", "z")))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}

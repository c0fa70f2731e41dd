package io.mesh4j.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Generated policy documents (seeded, so a failure names the seed and document that reproduce it):
 * whatever the JSON, {@link PolicyCodec#fromJson} gives a policy or an {@link InvalidPolicyException}
 * with at least one named violation, never another exception; and every policy it accepts survives a
 * round trip through {@link PolicyCodec#toJson} unchanged.
 */
class PolicyCodecFuzzTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final long SEED = 20261207L;
  private static final String JUNK = "{}[]\",:\\0-e.\u0000";
  /** Field names the codec knows, so that generated documents reach past the unknown-field check. */
  private static final String[] NAMES = {"timeouts", "total", "perAttempt", "balancer", "algorithm", "decay",
      "defaultRtt", "outlier", "enabled", "consecutiveFailures", "baseEjectionTime", "maxEjectionTime",
      "maxEjectionPercent", "panicThresholdPercent", "retries", "maxAttempts", "retryOn", "backoff", "base", "cap",
      "budget", "percent", "minPerSecond", "ttl", "hedging", "delay", "circuitBreaker", "failureRateThreshold",
      "slowCallRateThreshold", "slowCallDuration", "minimumCalls", "window", "openDuration", "halfOpenCalls",
      "limits", "ratePerSecond", "burst", "concurrency", "maxConcurrency", "minConcurrency", "maxWait", "faults",
      "abort", "duration", "status", "routes", "name", "match", "methods", "pathPrefix", "headers", "destinations",
      "labels", "weight", "colour"};
  private static final String[] TEXTS = {"2s", "250ms", "PT1S", "-5s", "0s", "p95", "p50", "p100", "1h", "99999999999999999s",
      "", " 2s", "2s\u0000", "\udc00", "\ud83d\ude00", "p2c-peak-ewma", "round-robin", "p2c-least-request",
      "fastest", "off", "fixed", "adaptive", "GET", "get", "/v1/", "v1", "x-canary", "true", "canary",
      "a".repeat(100), "P", "PTXS", "1e3s", "\u0663s"};

  @Test
  void anyDocumentIsAPolicyOrANamedInvalidPolicyException() throws Exception {
    SplittableRandom random = new SplittableRandom(SEED);
    int accepted = 0;
    int refused = 0;
    for (int i = 0; i < 3_000; i++) {
      JsonNode doc = i % 3 == 0 ? mutate(valid(), random) : object(random, 0);
      String json = MAPPER.writeValueAsString(doc);
      if (parse(json, i)) {
        accepted++;
      } else {
        refused++;
      }
    }
    // The generator must reach both outcomes, or it tests nothing.
    assertThat(accepted).as("documents accepted").isGreaterThan(50);
    assertThat(refused).as("documents refused").isGreaterThan(1_000);
  }

  @Test
  void malformedJsonTextIsOneViolationNeverAnotherException() {
    SplittableRandom random = new SplittableRandom(SEED + 1);
    String valid = PolicyCodec.toJson(ServicePolicy.DEFAULT);
    for (int i = 0; i < 2_000; i++) {
      StringBuilder b = new StringBuilder(valid);
      for (int k = 1 + random.nextInt(4); k > 0 && b.length() > 0; k--) {
        int at = random.nextInt(b.length());
        switch (random.nextInt(3)) {
          case 0 -> b.deleteCharAt(at);
          case 1 -> b.insert(at, JUNK.charAt(random.nextInt(JUNK.length())));
          default -> b.setLength(at);
        }
      }
      parse(b.toString(), i);
    }
  }

  /** True when accepted; then the round trip must give the same policy. */
  private static boolean parse(String json, int i) {
    ServicePolicy p;
    try {
      p = PolicyCodec.fromJson(json);
    } catch (InvalidPolicyException e) {
      assertThat(e.violations()).as("case %d (seed %d): %s", i, SEED, json).isNotEmpty();
      for (InvalidPolicyException.Violation v : e.violations()) {
        assertThat(v.path()).as("case %d: %s", i, json).isNotBlank();
        assertThat(v.problem()).as("case %d: %s", i, json).isNotBlank().doesNotContain("\u0000");
        assertThat(v.problem().length()).as("case %d: %s", i, json).isLessThan(1_000);
      }
      return false;
    } catch (RuntimeException e) {
      throw new AssertionError("case " + i + " (seed " + SEED + ") threw " + e + " for " + json, e);
    }
    ServicePolicy again = PolicyCodec.fromJson(PolicyCodec.toJson(p));
    assertThat(again).as("round trip of case %d: %s", i, json).isEqualTo(p);
    return true;
  }

  private static ObjectNode valid() {
    try {
      return (ObjectNode) MAPPER.readTree("""
          {"timeouts": {"total": "2s", "perAttempt": "500ms"},
           "balancer": {"algorithm": "round-robin", "decay": "5s"},
           "outlier": {"consecutiveFailures": 3, "maxEjectionPercent": 30},
           "retries": {"maxAttempts": 2, "retryOn": [503], "budget": {"percent": 10}},
           "hedging": {"enabled": true, "delay": "p95"},
           "circuitBreaker": {"minimumCalls": 10},
           "limits": {"ratePerSecond": 100, "burst": 10, "concurrency": "fixed", "maxConcurrency": 50},
           "faults": {"abort": {"percent": 5, "status": 503}},
           "routes": [{"name": "canary", "match": {"methods": ["GET"], "pathPrefix": "/v1/",
                                                    "headers": {"x-canary": "true"}},
                       "destinations": [{"labels": {"version": "v1"}, "weight": 90},
                                        {"labels": {"version": "v2"}, "weight": 10}]}]}""");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Replaces, removes or adds one to three fields anywhere in {@code doc}. */
  private static JsonNode mutate(ObjectNode doc, SplittableRandom random) {
    for (int k = 1 + random.nextInt(3); k > 0; k--) {
      List<ObjectNode> objects = new ArrayList<>();
      collect(doc, objects);
      ObjectNode target = objects.get(random.nextInt(objects.size()));
      List<String> fields = new ArrayList<>();
      target.fieldNames().forEachRemaining(fields::add);
      int choice = random.nextInt(3);
      if (choice == 0 && !fields.isEmpty()) {
        target.remove(fields.get(random.nextInt(fields.size())));
      } else if (choice == 1 && !fields.isEmpty()) {
        target.set(fields.get(random.nextInt(fields.size())), value(random, 3));
      } else {
        target.set(NAMES[random.nextInt(NAMES.length)], value(random, 3));
      }
    }
    return doc;
  }

  private static void collect(JsonNode n, List<ObjectNode> out) {
    if (n instanceof ObjectNode o) {
      out.add(o);
    }
    for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
      collect(it.next(), out);
    }
  }

  private static ObjectNode object(SplittableRandom random, int depth) {
    ObjectNode o = F.objectNode();
    for (int k = random.nextInt(5); k > 0; k--) {
      o.set(NAMES[random.nextInt(NAMES.length)], value(random, depth + 1));
    }
    return o;
  }

  private static JsonNode value(SplittableRandom random, int depth) {
    int kind = random.nextInt(depth >= 4 ? 6 : 9);
    return switch (kind) {
      case 0 -> F.textNode(TEXTS[random.nextInt(TEXTS.length)]);
      case 1 -> F.numberNode(random.nextInt(-5, 1_000));
      case 2 -> F.numberNode(random.nextLong());
      case 3 -> F.numberNode(random.nextDouble() * 200 - 50);
      case 4 -> F.booleanNode(random.nextBoolean());
      case 5 -> random.nextInt(4) == 0 ? F.nullNode() : F.textNode(TEXTS[random.nextInt(TEXTS.length)]);
      case 6, 7 -> object(random, depth);
      default -> {
        ArrayNode a = F.arrayNode();
        for (int k = random.nextInt(4); k > 0; k--) {
          a.add(random.nextBoolean() ? object(random, depth + 1) : value(random, depth + 1));
        }
        yield a;
      }
    };
  }
}

package io.mesh4j.controlplane.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.controlplane.Http;
import io.mesh4j.controlplane.TestControlPlane;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,500 generated requests across every endpoint of a real control plane (seeded: a failure names the
 * case and request that reproduce it), most of them bad in some way: wrong names, parameters, bodies,
 * headers, tokens. Whatever the request: never a 5xx; every error is a problem document with a title;
 * and an error never changes the store (its revision is the same before and after).
 */
class ApiFuzzIT {
  private static final long SEED = 7_12_2026L;
  private static final String[] SERVICES = {"orders", "payments", "Orders", "a..b", "%2e%2e", "x".repeat(70), "%00",
      "-a", "a-", "%C3%A9t%C3%A9", "1", "orders%2Fpolicy", ""};
  private static final String[] PARAMS = {"since=0", "since=1", "since=-1", "since=%2B1", "since=99999999999999999999",
      "since=0&since=1", "limit=5", "limit=0", "limit=abc", "revision=1", "revision=x", "window=1m", "window=10s",
      "window=5s", "window=1h", "window=", "service=orders", "service=Orders", "colour=red", "%25ZZ=1", "a", "=",
      "&&", "service=orders&service=orders"};
  private static final String[] BODIES = {"{}", "", "[]", "null", "42", "\"x\"", "{\"timeouts\":{\"total\":\"2s\"}}",
      "{\"timeouts\":{\"total\":null}}", "{\"timeouts\":{\"total\":\"2s\\u0000\"}}", "{\"host\":\"127.0.0.1\",\"port\":80}",
      "{\"host\":\"127.0.0.1\",\"port\":0}", "{\"host\":\"h\\udc00\",\"port\":1}", "{\"host\":\"127.0.0.1\",\"port\":81,\"ttl\":30}",
      "{\"services\":[\"orders\"],\"wait\":\"0s\"}", "{\"services\":[],\"wait\":\"0s\"}",
      "{\"services\":[\"Orders\"],\"wait\":\"0s\"}", "{\"services\":[\"orders\"],\"wait\":\"10m\"}", "{\"a\":1,\"a\":2}",
      "{\"timeouts\":{\"total\":\"2s\"}} trailing", "{\"service\":\"x\"}", "[".repeat(3000), "{\"x\":\"" + "y".repeat(300_000) + "\"}"};
  private static final String[] METHODS = {"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"};
  private static final String[] TYPES = {"application/json", "text/plain", "application/problem+json",
      "application/json; charset=utf-16", null};

  @TempDir Path dir;
  TestControlPlane cp;
  HttpClient http;

  @BeforeEach
  void start() throws Exception {
    // No expiry sweep during the run: a sweep moves the revision, which would look like a refused request's
    // write on a machine slow enough that a registration's TTL passes during the 1,500 requests.
    cp = TestControlPlane.start(dir, b -> b.sweepInterval(Duration.ofHours(1)));
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() {
    cp.close();
  }

  @Test
  void noRequestGetsA5xxOrAnErrorWithoutAProblemDocumentOrChangesStateWhenRefused() throws Exception {
    SplittableRandom random = new SplittableRandom(SEED);
    // Something to find: a policy and an instance, so reads and rollbacks reach past "not found".
    cp.admin.put("/v1/services/orders/policy", "{\"timeouts\":{\"total\":\"2s\"}}");
    String id = cp.client.post("/v1/services/orders/instances", "{\"host\":\"127.0.0.1\",\"port\":8080,\"ttl\":\"1h\"}").json()
        .get("instanceId").asText();
    int errors = 0;
    String previous = "none";
    List<String> statuses = new ArrayList<>();
    for (int i = 0; i < 1_500; i++) {
      String method = METHODS[random.nextInt(METHODS.length)];
      String path = path(random, id);
      String body = random.nextInt(3) == 0 ? null : BODIES[random.nextInt(BODIES.length)];
      if (body != null && random.nextInt(4) == 0) {
        body = mutate(body, random);
      }
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cp.server.uri() + path)).timeout(Duration.ofSeconds(20));
      int token = random.nextInt(10);
      if (token < 7) {
        b.header("Authorization", "Bearer " + TestControlPlane.ADMIN);
      } else if (token < 9) {
        b.header("Authorization", "Bearer " + TestControlPlane.CLIENT);
      }
      String type = TYPES[random.nextInt(TYPES.length)];
      if (type != null && body != null) {
        b.header("Content-Type", type);
      }
      if (random.nextInt(5) == 0) {
        b.header("If-Match", new String[] {"0", "1", "\"1\"", "+1", "abc", "-1", "1 2", "\"\""}[random.nextInt(8)]);
      }
      b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
          : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
      String what = "case " + i + " (seed " + SEED + "): " + method + " " + path
          + (body == null ? "" : " body " + (body.length() > 200 ? body.substring(0, 200) + "..." : body));
      long before = cp.server.store().revision();
      HttpResponse<String> r;
      try {
        r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      } catch (java.io.IOException e) {
        throw new AssertionError(what + ": no answer (" + e + "); the request before: " + previous, e);
      }
      previous = what + " -> " + r.statusCode() + " " + r.headers().map();
      statuses.add(Integer.toString(r.statusCode()));
      assertThat(r.statusCode()).as(what + " -> " + r.body()).isLessThan(500);
      if (r.statusCode() >= 400) {
        errors++;
        assertThat(cp.server.store().revision()).as(what + ": refused, but the store changed").isEqualTo(before);
        if (!method.equals("HEAD")) {
          assertThat(r.headers().firstValue("Content-Type")).as(what).hasValue("application/problem+json");
          assertThat(Http.MAPPER.readTree(r.body()).path("title").asText()).as(what + " -> " + r.body()).isNotBlank();
          assertThat(r.body().length()).as(what).isLessThan(16_384);
        }
      }
    }
    assertThat(errors).as("statuses: %s", statuses).isGreaterThan(1_000);
    assertThat(cp.client.get("/v1/health").status()).isEqualTo(200);
    assertThat(cp.client.get("/v1/watch?service=orders&wait=0s").json().at("/services/orders/policy/timeouts/total")
        .isMissingNode()).isFalse();
  }

  private static String path(SplittableRandom random, String id) {
    String svc = SERVICES[random.nextInt(SERVICES.length)];
    String instance = random.nextBoolean() ? id : new String[] {"nope", "%2e%2e", "", "x".repeat(300)}[random.nextInt(4)];
    String p = switch (random.nextInt(16)) {
      case 0 -> "/v1/services/" + svc + "/policy";
      case 1 -> "/v1/services/" + svc + "/policy/history";
      case 2 -> "/v1/services/" + svc + "/policy/rollback";
      case 3 -> "/v1/services/" + svc + "/instances";
      case 4 -> "/v1/services/" + svc + "/instances/" + instance;
      case 5 -> "/v1/services/" + svc + "/instances/" + instance + "/heartbeat";
      case 6 -> "/v1/watch";
      case 7 -> "/v1/reports";
      case 8 -> "/v1/topology";
      case 9 -> "/v1/stats";
      case 10 -> "/v1/clients";
      case 11 -> "/v1/events";
      case 12 -> "/metrics";
      case 13 -> "/v1/health";
      case 14 -> "/v1/services";
      default -> new String[] {"/", "/v2/x", "/v1", "/v1/services/", "/v1//services", "/%00"}[random.nextInt(6)];
    };
    StringBuilder q = new StringBuilder();
    for (int k = random.nextInt(3); k > 0; k--) {
      q.append(q.length() == 0 ? "" : "&").append(PARAMS[random.nextInt(PARAMS.length)]);
    }
    if (p.equals("/v1/watch")) {
      // A watch that is valid would be held for its wait: keep every one short.
      q.append(q.length() == 0 ? "" : "&").append("wait=0s");
    }
    return q.length() == 0 ? p : p + "?" + q;
  }

  private static String mutate(String body, SplittableRandom random) {
    if (body.isEmpty() || body.length() > 10_000) {
      return body;
    }
    StringBuilder b = new StringBuilder(body);
    for (int k = 1 + random.nextInt(3); k > 0 && b.length() > 0; k--) {
      int at = random.nextInt(b.length());
      switch (random.nextInt(3)) {
        case 0 -> b.deleteCharAt(at);
        case 1 -> b.insert(at, "{}[]\",:0-e.\\u".charAt(random.nextInt(13)));
        default -> b.setLength(at);
      }
    }
    return b.toString();
  }
}

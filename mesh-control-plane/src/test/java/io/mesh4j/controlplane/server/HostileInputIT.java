package io.mesh4j.controlplane.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.mesh4j.controlplane.Http;
import io.mesh4j.controlplane.TestControlPlane;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests an outside attack run found accepted with 2xx although invalid, or answered without a problem
 * document: each is refused with a 400 (or 431) problem+json that names the field, and writes nothing.
 */
class HostileInputIT {
  static final String POLICY = "/v1/services/orders/policy";
  static final String INSTANCES = "/v1/services/orders/instances";
  @TempDir Path dir;
  TestControlPlane cp;

  @BeforeEach
  void start() throws Exception {
    cp = TestControlPlane.start(dir);
  }

  @AfterEach
  void stop() {
    cp.close();
  }

  @Test
  void aControlCharacterOrAnUnpairedSurrogateInAnyStringOrFieldNameIsRefused() {
    // Before: "2s\u0000" was stored as a 2 s timeout, and NULs and a lone surrogate were stored and served
    // back in watch answers.
    assertRefused(cp.admin.put(POLICY, "{\"timeouts\": {\"total\": \"2s\\u0000\"}}"), "timeouts.total", "U+0000");
    assertRefused(cp.admin.put(POLICY, """
        {"routes": [{"name": "r", "match": {"headers": {"x\\u0000y": "1"}},
                     "destinations": [{"labels": {}, "weight": 100}]}]}"""),
        "routes[0].match.headers.\"x\\u0000y\"", "field name contains U+0000");
    assertRefused(cp.client.post(INSTANCES, "{\"host\": \"127.0.0.1\", \"port\": 81, \"zone\": \"z\\u0000\"}"),
        "zone", "U+0000");
    assertRefused(cp.client.post(INSTANCES, "{\"host\": \"127.0.0.1\", \"port\": 82, \"labels\": {\"v\": \"a\\u001f\"}}"),
        "labels.v", "U+001F");
    assertRefused(cp.client.post(INSTANCES, "{\"host\": \"127.0.0.1\", \"port\": 83, \"zone\": \"\\udc00\"}"),
        "zone", "unpaired surrogate U+DC00");
    assertRefused(cp.client.post(INSTANCES, "{\"host\": \"127.0.0.1\", \"port\": 84, \"zone\": \"a\\ud800b\"}"),
        "zone", "unpaired surrogate U+D800");
    // A well-formed pair (an emoji) is text like any other.
    assertThat(cp.client.post(INSTANCES, "{\"host\": \"127.0.0.1\", \"port\": 85, \"zone\": \"\\ud83d\\ude00\"}")
        .status()).isEqualTo(201);
    assertThat(cp.client.get("/v1/watch?service=orders&wait=0s").json().at("/services/orders/endpoints/0/zone")
        .asText()).isEqualTo("\uD83D\uDE00");
  }

  @Test
  void nullIsNotTheDefaultLeaveTheFieldOutForThat() {
    assertRefused(cp.admin.put(POLICY, "{\"timeouts\": {\"total\": null}}"), "timeouts.total", "null");
    assertRefused(cp.admin.put(POLICY, "{\"balancer\": null}"), "balancer", "leave the field out");
    assertRefused(cp.client.post(INSTANCES, "{\"host\": \"127.0.0.1\", \"port\": 81, \"zone\": null}"), "zone",
        "null");
    assertRefused(cp.client.post("/v1/watch", "{\"services\": [\"orders\"], \"since\": null}"), "since", "null");
    // A required field given as null is "missing", with what it expects.
    assertRefused(cp.client.post(INSTANCES, "{\"host\": null, \"port\": 81}"), "host", "missing (expected: a host");
  }

  @Test
  void aDurationInABodyIsAStringAsInPolicies() {
    // Before: "ttl": 30 was taken as 30 s, although policy durations refuse numbers (30 s or 30 ms?).
    assertRefused(cp.client.post(INSTANCES, "{\"host\": \"127.0.0.1\", \"port\": 81, \"ttl\": 30}"), "ttl",
        "expected: a duration string");
    assertRefused(cp.client.post("/v1/watch", "{\"services\": [\"orders\"], \"wait\": 0}"), "wait",
        "expected: a duration string");
    assertRefused(cp.client.post("/v1/watch", "{\"services\": [\"orders\"], \"since\": 1.0, \"wait\": \"0s\"}"),
        "since", "an integer");
    assertRefused(cp.admin.put(POLICY, "{\"timeouts\": {\"total\": \" 2s\"}}"), "timeouts.total",
        "expected: a duration");
    // Arabic-Indic digits are digits to Java's Long.parseLong, not to a duration.
    assertRefused(cp.admin.put(POLICY, "{\"timeouts\": {\"total\": \"\u0663s\"}}"), "timeouts.total",
        "expected: a duration");
    assertThat(cp.client.post(INSTANCES, "{\"host\": \"127.0.0.1\", \"port\": 81, \"ttl\": \"30s\"}").status())
        .isEqualTo(201);
  }

  @Test
  void aBodyIsUtf8WithoutAByteOrderMark() {
    // Before: Jackson detected UTF-16 and skipped a BOM, so these were stored as the policy {total: 2s}.
    String json = "{\"timeouts\": {\"total\": \"2s\"}}";
    byte[] bom = new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};
    assertMalformed(putBytes(concat(bom, json.getBytes(StandardCharsets.UTF_8))), "byte order mark");
    assertMalformed(putBytes(json.getBytes(StandardCharsets.UTF_16)), "not UTF-8");
    assertMalformed(putBytes(json.getBytes(StandardCharsets.UTF_16LE)), "NUL byte");
    assertMalformed(putBytes(json.getBytes(java.nio.charset.Charset.forName("UTF-32BE"))), "NUL byte");
    assertMalformed(putBytes(new byte[] {'{', '"', (byte) 0xc3, '"', ':', '1', '}'}), "not UTF-8");
    assertThat(putBytes(json.getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(200);
  }

  @Test
  void aParameterGivenTwiceIsRefusedNotGuessed() {
    assertRefused(cp.client.get("/v1/watch?service=orders&since=1&since=2&wait=0s"), "query.since",
        "given 2 times");
    assertRefused(cp.client.get("/v1/watch?service=orders&wait=0s&wait=1s"), "query.wait", "given 2 times");
    assertRefused(cp.client.get(POLICY + "/history?limit=1&limit=2"), "query.limit", "given 2 times");
    assertRefused(cp.client.get("/v1/topology?window=1m&window=10m"), "query.window", "given 2 times");
    assertRefused(cp.client.get("/v1/events?since=0&since=1"), "query.since", "given 2 times");
    // A repeated service is how a watch names several services.
    assertThat(cp.client.get("/v1/watch?service=orders&service=payments&wait=0s").status()).isIn(200, 304);
  }

  @Test
  void aRevisionIsPlainAsciiDigits() {
    long start = cp.server.store().revision();
    // Before: If-Match: +13 was read as 13 (a 409, as if it were a revision).
    for (String bad : List.of("+13", "-0", " 1 2", "\"+1\"", "1e3")) {
      assertRefused(cp.admin.send(POLICY, "PUT", "{}", bad), "header.If-Match", "expected: the revision");
    }
    assertRefused(cp.client.get("/v1/watch?service=orders&since=%2B1&wait=0s"), "query.since", "'+1'");
    assertRefused(cp.client.get("/v1/watch?service=orders&wait=%2B1"), "query.wait", "'+1'");
    assertRefused(cp.client.get(POLICY + "/history?limit=%2B5"), "query.limit", "'+5'");
    assertRefused(cp.admin.post(POLICY + "/rollback?revision=%2B1", null), "query.revision", "'+1'");
    assertThat(cp.server.store().revision()).isEqualTo(start);
    assertThat(cp.admin.send(POLICY, "PUT", "{}", "0").status()).isEqualTo(200);
  }

  @Test
  void aRequestThatTakesNoBodyRefusesOne() {
    Http.Reply r = cp.client.post(INSTANCES, "{\"host\": \"127.0.0.1\", \"port\": 81}");
    String id = r.json().get("instanceId").asText();
    String heartbeat = INSTANCES + "/" + id + "/heartbeat";
    // Before: 200, the body silently ignored.
    Http.Reply withBody = cp.client.send(heartbeat, "PUT", "{\"ttl\": \"1h\"}", null);
    assertThat(withBody.status()).isEqualTo(400);
    assertThat(withBody.contentType()).isEqualTo("application/problem+json");
    assertThat(withBody.json().get("detail").asText()).contains("heartbeat takes no body");
    assertThat(withBody.header("Connection")).isEqualTo("close");
    Http.Reply delete = cp.client.send(INSTANCES + "/" + id, "DELETE", "{}", null);
    assertThat(delete.status()).isEqualTo(400);
    assertThat(cp.client.get(INSTANCES + "/" + id).json().get("ttl").asText()).isEqualTo("30s");

    assertThat(cp.client.send(heartbeat, "PUT", null, null).status()).isEqualTo(200);
  }

  @Test
  void errorsJettyAnswersItselfAreProblemDocumentsForEveryMethod() throws Exception {
    // Before: Jetty wrote a body only for GET, POST and HEAD; these PUTs and DELETEs got an empty 400.
    String auth = "Authorization: Bearer " + TestControlPlane.ADMIN + "\r\n";
    for (String method : List.of("PUT", "DELETE", "GET")) {
      Raw r = raw(method + " /v1/services/%zz/policy HTTP/1.1\r\nHost: x\r\n" + auth
          + "Content-Length: 0\r\n\r\n");
      assertProblem(r, 400);
      // An ambiguous path reaches the API (which reads a body through before refusing) and is refused there.
      for (String path : List.of("/v1/services/%2e%2e/policy", "/v1/services/x/%2e%2e/orders/policy",
          "/v1/services/orders%2Fx/policy", "/v1//services/orders/policy", "/v1/services/orders;x=1/policy")) {
        Raw ambiguous = raw(method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 0\r\n\r\n");
        assertProblem(ambiguous, 400);
        assertThat(ambiguous.body).contains("Invalid path");
      }
    }
    Raw hugeHeader = raw("PUT " + POLICY + " HTTP/1.1\r\nHost: x\r\n" + auth + "If-Match: " + "1".repeat(1 << 20)
        + "\r\nContent-Length: 2\r\n\r\n{}");
    assertProblem(hugeHeader, 431);
    Raw overflow = raw("PUT " + POLICY + " HTTP/1.1\r\nHost: x\r\n" + auth
        + "Content-Length: 99999999999999999999999\r\n\r\n{}");
    assertProblem(overflow, 400);
    // A client waiting for "100 Continue" is refused before it uploads anything (no 100 first).
    Raw expect = raw("PUT " + POLICY + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        + "Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n");
    assertProblem(expect, 401);
    Raw preface = raw("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    assertThat(preface.status).isGreaterThanOrEqualTo(400);
    assertThat(preface.head.toLowerCase(Locale.ROOT)).contains("content-type: application/problem+json");
    assertThat(cp.server.store().revision()).isZero();
  }

  @Test
  void aPathThatIsNotCanonicalIsRefusedBeforeRoutingAndActsOnNoService() throws Exception {
    // Before: PUT/DELETE /v1/services/x/../victim/policy and DELETE .../x/../victim/instances/{id} acted on
    // "victim" (200): the dot segments were resolved before routing. With tokens scoped to services that is
    // a bypass, so any path that is not already canonical is a 400 and nothing is written.
    assertThat(cp.admin.put("/v1/services/victim/policy", "{\"timeouts\": {\"total\": \"2s\"}}").status())
        .isEqualTo(200);
    String id = cp.client.post("/v1/services/victim/instances", "{\"host\": \"127.0.0.1\", \"port\": 81}")
        .json().get("instanceId").asText();
    long revision = cp.server.store().revision();
    String auth = "Authorization: Bearer " + TestControlPlane.ADMIN + "\r\n";
    String body = "{\"timeouts\": {\"total\": \"9s\"}}";
    List<String> requests = List.of(
        "PUT /v1/services/x/../victim/policy", "DELETE /v1/services/x/../victim/policy",
        "DELETE /v1/services/x/../victim/instances/" + id, "PUT /v1/services/victim/./policy",
        "PUT /v1/services/./victim/policy", "DELETE /v1/services/victim/instances/x/../" + id,
        "PUT /v1/services/victim/policy/", "PUT /v1/services/victim/policy/.",
        "GET /v1/services/victim/instances/x/..", "PUT /v1/services/victim;x=1/policy");
    for (String line : requests) {
      boolean put = line.startsWith("PUT");
      Raw r = raw(line + " HTTP/1.1\r\nHost: x\r\n" + auth + (put ? "Content-Type: application/json\r\n" : "")
          + "Content-Length: " + (put ? body.length() : 0) + "\r\n\r\n" + (put ? body : ""));
      assertThat(r.status).as(line).isEqualTo(400);
      assertThat(r.body).as(line).contains("Invalid path").contains("dot segments");
    }
    assertThat(cp.server.store().revision()).isEqualTo(revision);
    assertThat(cp.client.get("/v1/services/victim/policy").json().at("/policy/timeouts/total").asText())
        .isEqualTo("2s");
    assertThat(cp.client.get("/v1/services/victim/instances/" + id).status()).isEqualTo(200);
  }

  @Test
  void anErrorShowsABadValueShortAndNamesNoLibraryInternals() {
    // Before: a 200 KB duration came back whole in the error, and a deep document's error named
    // StreamReadConstraints.getMaxNestingDepth().
    String huge = "9".repeat(200_000) + "s";
    Http.Reply r = cp.admin.put(POLICY, "{\"timeouts\": {\"total\": \"" + huge + "\"}}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.raw().body().length()).isLessThan(1_000);
    assertThat(r.json().at("/violations/0/problem").asText()).contains("(200001 characters)");

    Http.Reply host = cp.client.post(INSTANCES, "{\"host\": \"" + "h".repeat(100_000) + "\", \"port\": 1}");
    assertThat(host.status()).isEqualTo(400);
    assertThat(host.raw().body().length()).isLessThan(1_000);

    // A long field name is a path; it is shown short too.
    Http.Reply key = cp.admin.put(POLICY, "{\"" + "k".repeat(50_000) + "\": 1}");
    assertThat(key.status()).isEqualTo(400);
    assertThat(key.raw().body().length()).isLessThan(1_000);
    Http.Reply label = cp.client.post(INSTANCES, "{\"host\": \"h\", \"port\": 1, \"labels\": {\"" + "k".repeat(50_000)
        + "\": \"v\"}}");
    assertThat(label.status()).isEqualTo(400);
    assertThat(label.raw().body().length()).isLessThan(1_000);

    Http.Reply deep = cp.admin.put(POLICY, "[".repeat(2_000) + "]".repeat(2_000));
    assertThat(deep.status()).isEqualTo(400);
    String problem = deep.json().at("/violations/0/problem").asText();
    assertThat(problem).contains("nesting depth").doesNotContain("StreamReadConstraints").doesNotContain("`");
    assertThat(cp.server.store().revision()).isZero();
  }

  private Http.Reply putBytes(byte[] body) {
    return cp.admin.send(cp.admin.builder(POLICY).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private void assertRefused(Http.Reply r, String path, String problemContains) {
    assertThat(r.status()).as(r.raw().body()).isEqualTo(400);
    assertThat(r.contentType()).isEqualTo("application/problem+json");
    JsonNode match = null;
    for (JsonNode v : r.json().get("violations")) {
      if (v.get("path").asText().equals(path)) {
        match = v;
      }
    }
    assertThat(match).as("a violation at %s in %s", path, r.raw().body()).isNotNull();
    assertThat(match.get("problem").asText()).contains(problemContains);
    assertThat(r.raw().body()).doesNotContain("\u0000");
  }

  private static void assertMalformed(Http.Reply r, String problemContains) {
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("title").asText()).isEqualTo("Malformed JSON");
    assertThat(r.json().at("/violations/0/problem").asText()).contains(problemContains);
  }

  private static void assertProblem(Raw r, int status) {
    assertThat(r.status).as(r.head).isEqualTo(status);
    assertThat(r.head.toLowerCase(Locale.ROOT)).contains("content-type: application/problem+json");
    assertThat(r.body).contains("\"status\":" + status);
  }

  private record Raw(int status, String head, String body) {}

  /** Sends bytes as they are and reads one answer (by its Content-Length, or to the close). */
  private Raw raw(String request) throws Exception {
    URI uri = cp.server.uri();
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      } catch (java.io.IOException refusedMidWay) {
        // The server may answer and close before reading a huge header through; the answer is still there.
      }
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        head.write(b);
        matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      String h = head.toString(StandardCharsets.ISO_8859_1);
      int length = -1;
      for (String line : h.split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          length = Integer.parseInt(line.substring(15).trim());
        }
      }
      byte[] body = length >= 0 ? in.readNBytes(length) : in.readAllBytes();
      int status = h.length() >= 12 ? Integer.parseInt(h.substring(9, 12)) : -1;
      return new Raw(status, h, new String(body, StandardCharsets.UTF_8));
    }
  }
}

package io.mesh4j.controlplane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.mesh4j.Mesh;
import io.mesh4j.controlplane.Http;
import io.mesh4j.controlplane.TestControlPlane;
import io.mesh4j.http.MeshOkHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client reports end to end: real meshes on loopback call real HTTP servers through a real control plane
 * (real SQLite file); the control plane's {@code /v1/topology} and {@code /v1/clients} show what they did.
 */
class ReportingIT {
  static {
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  @TempDir
  Path dir;

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<HttpServer> servers = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    servers.forEach(s -> s.stop(0));
  }

  private int server(int status) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    s.createContext("/", ex -> {
      byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, body.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(body);
      }
    });
    s.start();
    servers.add(s);
    return s.getAddress().getPort();
  }

  private TestControlPlane controlPlane() throws Exception {
    TestControlPlane cp = TestControlPlane.start(dir.resolve("cp"), b -> b.staleGrace(Duration.ZERO));
    closeables.add(cp);
    return cp;
  }

  private static int call(OkHttpClient http, String service) throws IOException {
    try (Response r = http.newCall(new Request.Builder().url("http://" + service + "/x").build()).execute()) {
      r.body().string();
      return r.code();
    }
  }

  private static JsonNode edge(JsonNode topology, String from, String to) {
    for (JsonNode e : topology.path("edges")) {
      if (e.path("from").asText().equals(from) && e.path("to").asText().equals(to)) {
        return e;
      }
    }
    return null;
  }

  @Test
  void theTopologyShowsEachEdgeWithItsCountsAndTheFleetShowsEachReportingInstance() throws Exception {
    TestControlPlane cp = controlPlane();
    for (int i = 0; i < 2; i++) {
      cp.admin.post("/v1/services/orders/instances", "{\"host\":\"127.0.0.1\",\"port\":" + server(200) + "}");
    }
    cp.admin.post("/v1/services/payments/instances", "{\"host\":\"127.0.0.1\",\"port\":" + server(500) + "}");
    // No retries, no ejection, no breaker: every call to payments is exactly one failed attempt.
    cp.admin.put("/v1/services/payments/policy", "{\"retries\": {\"enabled\": false}, \"outlier\": {\"enabled\":"
        + " false}, \"circuitBreaker\": {\"enabled\": false}}");

    ControlPlaneClient c = ControlPlaneClient.builder(cp.server.uri()).token(TestControlPlane.CLIENT)
        .waitTime(Duration.ofSeconds(2)).serviceName("checkout").reportInterval(Duration.ofMillis(200)).build();
    closeables.add(c);
    Mesh mesh = Mesh.builder().discovery(c.discovery()).policies(c.policies()).eventLog(m -> { }).build();
    closeables.add(mesh);
    c.report(mesh);
    OkHttpClient http = MeshOkHttp.client(mesh, new OkHttpClient());
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> call(http, "orders") == 200);
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.service("payments").policyRevision() > 0);
    for (int i = 0; i < 39; i++) {
      assertThat(call(http, "orders")).isEqualTo(200);
    }
    for (int i = 0; i < 5; i++) {
      assertThat(call(http, "payments")).isEqualTo(500);
    }

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode t = cp.client.get("/v1/topology?window=10m").json();
      JsonNode orders = edge(t, "checkout", "orders");
      assertThat(orders).isNotNull();
      assertThat(orders.path("attempts").asLong()).isEqualTo(40);
      assertThat(orders.path("requests").asLong()).isEqualTo(40);
      assertThat(orders.path("successRate").asDouble()).isEqualTo(1.0);
      assertThat(orders.path("p99Ms").asDouble()).isPositive();
      JsonNode payments = edge(t, "checkout", "payments");
      assertThat(payments).isNotNull();
      assertThat(payments.path("attempts").asLong()).isEqualTo(5);
      assertThat(payments.path("failure").asLong()).isEqualTo(5);
      assertThat(payments.path("successRate").asDouble()).isEqualTo(0.0);
    });
    JsonNode t = cp.client.get("/v1/topology?window=10m").json();
    assertThat(t.path("window").asText()).isEqualTo("10m");
    assertThat(t.path("edges")).hasSize(2);
    assertThat(t.path("nodes").toString()).contains("{\"service\":\"checkout\",\"instances\":1}")
        .contains("{\"service\":\"orders\",\"instances\":0}");

    JsonNode stats = cp.client.get("/v1/stats?service=orders&window=10m").json();
    long inSeries = 0;
    for (JsonNode p : stats.path("series")) {
      inSeries += p.path("attempts").asLong();
    }
    assertThat(inSeries).as("the series adds up to the edge").isEqualTo(40);
    assertThat(stats.path("series").size()).as("one point per 10 s since the control plane started").isBetween(1, 60);
    assertThat(stats.path("callers").get(0).path("service").asText()).isEqualTo("checkout");
    assertThat(stats.path("endpoints")).hasSize(2);
    assertThat(stats.path("endpoints").get(0).path("attempts").asLong()
        + stats.path("endpoints").get(1).path("attempts").asLong()).isEqualTo(40);
    assertThat(cp.client.get("/v1/stats?service=Orders").json().toString()).contains("query.service");

    // The same figures for Prometheus: counters since start, a histogram, the control plane's own.
    Http.Reply metrics = cp.client.get("/metrics");
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.contentType()).startsWith("text/plain; version=0.0.4");
    String text = metrics.raw().body();
    assertThat(text).contains("mesh_edge_attempts_total{from=\"checkout\",to=\"orders\",outcome=\"success\"} 40\n")
        .contains("mesh_edge_attempts_total{from=\"checkout\",to=\"payments\",outcome=\"failure\"} 5\n")
        .contains("mesh_edge_latency_seconds_count{from=\"checkout\",to=\"orders\"} 40\n")
        .contains("mesh_edge_latency_seconds_bucket{from=\"checkout\",to=\"orders\",le=\"+Inf\"} 40\n")
        .contains("mesh_cp_reporting_instances 1\n")
        .containsPattern("mesh_cp_requests_total\\{route=\"/v1/reports\",method=\"POST\",status=\"202\"} [1-9]");
    for (String line : text.split("\n")) {
      assertThat(line).as("Prometheus text format").matches(
          "# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*})? [0-9.]+");
    }
    assertThat(cp.http(null).get("/metrics").status()).isEqualTo(401);

    JsonNode clients = cp.client.get("/v1/clients").json().path("clients");
    assertThat(clients).hasSize(1);
    JsonNode me = clients.get(0);
    assertThat(me.path("service").asText()).isEqualTo("checkout");
    assertThat(me.path("connected").asBoolean()).isTrue();
    assertThat(me.path("revisions").path("payments").asLong()).isEqualTo(mesh.service("payments").policyRevision());
    assertThat(me.path("stale").asBoolean()).isFalse();

    String events = cp.client.get("/v1/events").json().toString();
    assertThat(events).contains("\"kind\":\"instance-joined\",\"service\":\"orders\"")
        .contains("\"kind\":\"policy-changed\",\"service\":\"payments\"")
        .contains("\"kind\":\"client-joined\",\"service\":\"checkout\"");

    // A client that stops reporting leaves the fleet after three of its intervals.
    c.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> cp.client.get("/v1/clients").json().path("clients").isEmpty());
    assertThat(cp.client.get("/v1/events?since=0&limit=1000").json().toString())
        .contains("\"kind\":\"client-left\",\"service\":\"checkout\"");
    assertThat(cp.client.get("/v1/events?limit=0").json().toString()).contains("query.limit")
        .contains("expected: 1..1000");
    assertThat(edge(cp.client.get("/v1/topology?window=10m").json(), "checkout", "orders").path("attempts").asLong())
        .as("its past traffic stays in the window").isEqualTo(40);
  }

  @Test
  void aClientRunningAnOlderPolicyThanTheControlPlanesIsStale() throws Exception {
    TestControlPlane cp = controlPlane();
    long current = cp.admin.put("/v1/services/orders/policy", "{\"timeouts\": {\"total\": \"900ms\"}}").revision();
    String report = "{\"service\":\"checkout\",\"instance\":\"i-1\",\"intervalMs\":10000,"
        + "\"revisions\":{\"orders\":" + (current - 1) + "},\"destinations\":[]}";
    assertThat(gzipPost(cp, report).statusCode()).isEqualTo(202);
    JsonNode me = cp.client.get("/v1/clients").json().path("clients").get(0);
    assertThat(me.path("behind").path("orders").path("applied").asLong()).isEqualTo(current - 1);
    assertThat(me.path("behind").path("orders").path("current").asLong()).isEqualTo(current);
    // The grace period is zero here: stale as soon as any time has passed while behind.
    await().atMost(Duration.ofSeconds(5)).until(() ->
        cp.client.get("/v1/clients").json().path("clients").get(0).path("stale").asBoolean());
  }

  @Test
  void aBadReportIsRefusedNamingEveryBadFieldAndChangesNothing() throws Exception {
    TestControlPlane cp = controlPlane();
    Http.Reply r = cp.client.post("/v1/reports", "{\"service\":\"Not A Name\",\"intervalMs\":-1,\"colour\":1,"
        + "\"destinations\":[{\"service\":\"orders\",\"latency\":{\"firstUpperMicros\":1100,\"counts\":[2]},"
        + "\"endpoints\":[{\"address\":\"a:1\",\"success\":-3}]}]}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().toString()).contains("$.service").contains("$.instance").contains("$.intervalMs")
        .contains("$.colour").contains("$.destinations[0].endpoints[0].success")
        .contains("$.destinations[0].latency.firstUpperMicros").contains("1100 is not a bucket bound").doesNotContain("null");
    assertThat(cp.client.get("/v1/clients").json().path("clients")).isEmpty();
    Http.Reply odd = cp.client.post("/v1/reports", "{\"service\":\"checkout\",\"instance\":\"i-1\",\"intervalMs\":0,"
        + "\"destinations\":[{\"service\":\"orders\",\"breaker\":\"sideways\",\"endpoints\":[]}]}");
    assertThat(odd.status()).isEqualTo(400);
    assertThat(odd.json().toString()).contains("$.intervalMs").contains("expected: 100..600000")
        .contains("$.destinations[0].breaker").contains("'sideways' (expected one of: closed, disabled,");
    assertThat(cp.client.get("/v1/topology?window=5s").status()).isEqualTo(400);
    assertThat(cp.client.get("/v1/topology?window=5s").json().toString()).contains("query.window")
        .contains("expected: a duration from 10s to 10m");
    assertThat(cp.http("wrong-token").get("/v1/topology").status()).isEqualTo(401);
  }

  private static java.net.http.HttpResponse<String> gzipPost(TestControlPlane cp, String json) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(bytes)) {
      z.write(json.getBytes(StandardCharsets.UTF_8));
    }
    HttpRequest req = cp.client.builder("/v1/reports").header("Content-Type", "application/json")
        .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(bytes.toByteArray())).build();
    return cp.client.send(req).raw();
  }
}

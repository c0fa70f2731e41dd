package io.mesh4j.controlplane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mesh4j.Mesh;
import io.mesh4j.controlplane.Http;
import io.mesh4j.controlplane.TestControlPlane;
import io.mesh4j.controlplane.auth.TokenAuthenticator;
import io.mesh4j.controlplane.client.ControlPlaneClient;
import io.mesh4j.controlplane.client.Registration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokens scoped to services (issue 13): before, the one client token could register or deregister
 * instances of any service, so one compromised service could redirect another's traffic. A client token
 * from the tokens file now writes only for its services; it still reads and watches everything.
 */
class ScopedTokensIT {
  static final String OPS = "ops-secret-0123456789";
  static final String ORDERS = "orders-secret-0123456789";
  static final String VIEWER = "viewer-secret-0123456789";
  static final String PAYMENT_TOKEN = "payment-secret-0123456789";
  @TempDir Path dir;
  Path tokens;
  TestControlPlane cp;
  final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    tokens = dir.resolve("tokens.json");
    writeTokens(ORDERS);
    cp = TestControlPlane.start(dir.resolve("cp"), b -> b.auth(TokenAuthenticator.builder().tokensFile(tokens)
        .build()));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    cp.close();
  }

  @Test
  void aClientTokenWritesOnlyForItsOwnServicesAndReadsEverything() {
    Http ops = cp.http(OPS);
    Http orders = cp.http(ORDERS);
    String payment = ops.post("/v1/services/payment/instances", "{\"host\": \"127.0.0.1\", \"port\": 81}")
        .json().get("instanceId").asText();
    assertThat(orders.post("/v1/services/orders/instances", "{\"host\": \"127.0.0.1\", \"port\": 82}").status())
        .isEqualTo(201);
    long revision = cp.server.store().revision();

    Http.Reply hijack = orders.post("/v1/services/payment/instances", "{\"host\": \"10.6.6.6\", \"port\": 80}");
    assertThat(hijack.status()).isEqualTo(403);
    assertThat(hijack.contentType()).isEqualTo("application/problem+json");
    assertThat(hijack.json().get("detail").asText()).isEqualTo("token 'orders' may act for [orders] only, not"
        + " for service 'payment' (expected: a client token scoped to 'payment', or the admin token)");
    assertThat(orders.delete("/v1/services/payment/instances/" + payment).status()).isEqualTo(403);
    assertThat(orders.send("/v1/services/payment/instances/" + payment + "/heartbeat", "PUT", null, null).status())
        .isEqualTo(403);
    Http.Reply report = orders.post("/v1/reports", "{\"service\":\"payment\",\"instance\":\"i-1\","
        + "\"intervalMs\":10000,\"destinations\":[]}");
    assertThat(report.status()).isEqualTo(403);
    assertThat(report.json().get("detail").asText()).contains("not for service 'payment'");
    assertThat(orders.put("/v1/services/orders/policy", "{}").status()).isEqualTo(403);
    assertThat(cp.server.store().revision()).isEqualTo(revision);
    assertThat(ops.get("/v1/services/payment/instances/" + payment).status()).isEqualTo(200);

    // Reads and watches of every service stay open to it: a client calls other services.
    assertThat(orders.get("/v1/services/payment/instances").status()).isEqualTo(200);
    assertThat(orders.get("/v1/watch?service=payment&since=0").json().at("/services/payment/endpoints/0/port")
        .asInt()).isEqualTo(81);
    assertThat(orders.post("/v1/reports", "{\"service\":\"orders\",\"instance\":\"i-1\",\"intervalMs\":10000,"
        + "\"destinations\":[]}").status()).isEqualTo(202);
  }

  @Test
  void aReportCannotTakeOverAnotherServicesInstanceByItsId() {
    // Before (found in review): the fleet was keyed by instance id alone, so the orders token could report
    // under payment's instance id and overwrite payment's entry in /v1/clients.
    writeAs(cp.http(PAYMENT_TOKEN), "payment", "i-pay");
    writeAs(cp.http(ORDERS), "orders", "i-pay");
    List<String> clients = new ArrayList<>();
    cp.http(OPS).get("/v1/clients").json().get("clients").forEach(c -> clients.add(c.get("service").asText() + " "
        + c.get("instance").asText()));
    assertThat(clients).containsExactlyInAnyOrder("payment i-pay", "orders i-pay");
  }

  private static void writeAs(Http http, String service, String instance) {
    assertThat(http.post("/v1/reports", "{\"service\":\"" + service + "\",\"instance\":\"" + instance
        + "\",\"intervalMs\":10000,\"destinations\":[]}").status()).isEqualTo(202);
  }

  @Test
  void aReadOnlyTokenReadsAndWatchesAndWritesNothing() {
    cp.http(OPS).put("/v1/services/orders/policy", "{}");
    Http viewer = cp.http(VIEWER);
    assertThat(viewer.get("/v1/services/orders/policy").status()).isEqualTo(200);
    assertThat(viewer.get("/v1/watch?service=orders&since=0").status()).isEqualTo(200);
    assertThat(viewer.get("/v1/topology").status()).isEqualTo(200);
    assertThat(viewer.get("/metrics").status()).isEqualTo(200);
    Http.Reply register = viewer.post("/v1/services/orders/instances", "{\"host\": \"127.0.0.1\", \"port\": 82}");
    assertThat(register.status()).isEqualTo(403);
    assertThat(register.json().get("detail").asText()).isEqualTo("token 'grafana' is read-only (expected: a client"
        + " token or the admin token for this operation)");
    assertThat(viewer.put("/v1/services/orders/policy", "{}").json().get("detail").asText())
        .contains("expected: the admin token");
  }

  @Test
  void aMeshClientWithAScopedTokenRegistersReportsAndWatchesAndFollowsARotation() throws Exception {
    cp.http(OPS).post("/v1/services/payment/instances", "{\"host\": \"127.0.0.1\", \"port\": 81}");
    ControlPlaneClient c = ControlPlaneClient.builder(cp.server.uri()).token(ORDERS).waitTime(Duration.ofSeconds(2))
        .serviceName("orders").reportInterval(Duration.ofMillis(200))
        .register(new Registration("orders", "127.0.0.1", 82, 1, "", Map.of(), Duration.ofSeconds(30))).build();
    closeables.add(c);
    Mesh mesh = Mesh.builder().discovery(c.discovery()).policies(c.policies()).eventLog(m -> { }).build();
    closeables.add(mesh);
    c.report(mesh);
    Http ops = cp.http(OPS);
    await().atMost(Duration.ofSeconds(10)).until(() -> ops.get("/v1/services/orders/instances").json().toString()
        .contains("\"port\":82"));
    await().atMost(Duration.ofSeconds(10)).until(() -> ops.get("/v1/clients").json().toString()
        .contains("\"orders\""));
    await().atMost(Duration.ofSeconds(10)).until(() -> !mesh.service("payment").endpoints().isEmpty());
    assertThat(c.status().lastError()).isNull();

    // Rotation without a restart: the file is rewritten; the old token stops working, the new one works.
    String rotated = "orders-rotated-0123456789";
    writeTokens(rotated);
    await().atMost(Duration.ofSeconds(30)).until(() -> cp.http(ORDERS).get("/v1/services").status() == 401);
    assertThat(cp.http(rotated).post("/v1/services/orders/instances", "{\"host\": \"127.0.0.1\", \"port\": 83}")
        .status()).isEqualTo(201);
    assertThat(cp.http(OPS).get("/v1/services").status()).isEqualTo(200);
  }

  @Test
  void everyWriteIsAuditedWithTheTokenThatMadeItAndMeshctlListsThem() {
    Http ops = cp.http(OPS);
    Http orders = cp.http(ORDERS);
    ops.put("/v1/services/orders/policy", "{}");
    String id = orders.post("/v1/services/orders/instances", "{\"host\": \"127.0.0.1\", \"port\": 82}").json()
        .get("instanceId").asText();
    assertThat(orders.post("/v1/services/payment/instances", "{\"host\": \"10.6.6.6\", \"port\": 80}").status())
        .isEqualTo(403); // refused: not a write, not in the log
    assertThat(orders.delete("/v1/services/orders/instances/" + id).status()).isEqualTo(200);
    ops.post("/v1/services/orders/policy/rollback?revision=1", null);

    Http.Reply audit = cp.http(VIEWER).get("/v1/audit");
    assertThat(audit.status()).isEqualTo(200);
    List<String> rows = new ArrayList<>();
    audit.json().get("entries").forEach(e -> rows.add(e.get("actor").asText() + " " + e.get("address").asText() + " "
        + e.get("action").asText() + " " + e.get("service").asText()));
    assertThat(rows).containsExactly("ops 127.0.0.1 policy.put orders", "orders 127.0.0.1 instance.register orders",
        "orders 127.0.0.1 instance.deregister orders", "ops 127.0.0.1 policy.rollback orders");
    long last = audit.json().get("last").asLong();
    assertThat(cp.http(VIEWER).get("/v1/audit?since=" + last).json().get("entries")).isEmpty();
    assertThat(cp.http(VIEWER).get("/v1/audit?service=payment").json().get("entries")).isEmpty();
    assertThat(cp.http(VIEWER).get("/v1/audit?limit=0").status()).isEqualTo(400);

    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    int code = io.mesh4j.controlplane.cli.Meshctl.run(new java.io.PrintWriter(out), new java.io.PrintWriter(err),
        "--url", cp.server.uri().toString(), "--token", VIEWER, "audit", "--service", "orders");
    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).contains("ACTOR").contains("policy.rollback").contains("to revision 1")
        .contains("instance.register").doesNotContain(OPS).doesNotContain(ORDERS);
  }

  private void writeTokens(String ordersToken) throws Exception {
    Path tmp = dir.resolve("tokens.json.tmp");
    Files.writeString(tmp, """
        {"tokens": [
          {"name": "ops", "role": "admin", "token": "%s"},
          {"name": "orders", "role": "client", "services": ["orders"], "token": "%s"},
          {"name": "grafana", "role": "read-only", "token": "%s"},
          {"name": "payment", "role": "client", "services": ["payment"], "token": "%s"}
        ]}""".formatted(OPS, ordersToken, VIEWER, PAYMENT_TOKEN));
    Files.move(tmp, tokens, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}

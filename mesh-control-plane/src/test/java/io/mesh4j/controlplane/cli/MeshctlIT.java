package io.mesh4j.controlplane.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.controlplane.TestControlPlane;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeshctlIT {
  @TempDir Path dir;
  TestControlPlane cp;

  record Run(int code, String out, String err) {}

  @BeforeEach
  void start() throws Exception {
    cp = TestControlPlane.start(dir.resolve("data"));
  }

  @AfterEach
  void stop() {
    cp.close();
  }

  Run meshctl(String token, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> all = new ArrayList<>(List.of("--url", cp.server.uri().toString()));
    if (token != null) {
      all.add("--token");
      all.add(token);
    }
    all.addAll(List.of(args));
    int code = Meshctl.run(new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void applyTakesAFileThatStartsWithAByteOrderMark() throws Exception {
    // Some editors write one; the API refuses a BOM, so meshctl drops it (it used to pass through).
    Path file = dir.resolve("bom.json");
    Files.write(file, ("\uFEFF{\"timeouts\": {\"total\": \"2s\"}}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Run apply = meshctl(TestControlPlane.ADMIN, "apply", "orders", "-f", file.toString());
    assertThat(apply.code).as(apply.err).isZero();
    assertThat(apply.out).contains("applied policy of orders: revision 1");
  }

  @Test
  void applyGetHistoryRollbackDelete() throws Exception {
    Path file = dir.resolve("orders.json");
    Files.writeString(file, "{\"timeouts\": {\"total\": \"2s\"}}");
    Run apply = meshctl(TestControlPlane.ADMIN, "apply", "orders", "-f", file.toString());
    assertThat(apply.code).isZero();
    assertThat(apply.out).contains("applied policy of orders: revision 1");

    Files.writeString(file, "{\"timeouts\": {\"total\": \"3s\"}}");
    assertThat(meshctl(TestControlPlane.ADMIN, "apply", "orders", "-f", file.toString(), "--if-revision", "1").code)
        .isZero();

    Run get = meshctl(TestControlPlane.CLIENT, "get", "orders");
    assertThat(get.code).isZero();
    assertThat(get.out).contains("\"total\" : \"3s\"");
    assertThat(get.err).contains("revision 2");

    Run history = meshctl(TestControlPlane.CLIENT, "history", "orders");
    assertThat(history.out).startsWith("REVISION").contains("2         put").contains("1         put");

    Run rollback = meshctl(TestControlPlane.ADMIN, "rollback", "orders", "1");
    assertThat(rollback.code).isZero();
    assertThat(rollback.out).contains("revision 3");
    assertThat(meshctl(TestControlPlane.CLIENT, "get", "orders").out).contains("\"2s\"");

    Run services = meshctl(TestControlPlane.CLIENT, "services");
    assertThat(services.out).contains("SERVICE").contains("orders").contains("yes");

    Run delete = meshctl(TestControlPlane.ADMIN, "delete", "orders");
    assertThat(delete.code).isZero();
    Run missing = meshctl(TestControlPlane.CLIENT, "get", "orders");
    assertThat(missing.code).isEqualTo(1);
    assertThat(missing.err).contains("404 Not found");
  }

  @Test
  void serverErrorsExitOneAndListViolations() throws Exception {
    Path file = dir.resolve("bad.json");
    Files.writeString(file, "{\"timeouts\": {\"total\": \"soon\"}, \"colour\": 1}");
    Run r = meshctl(TestControlPlane.ADMIN, "apply", "orders", "-f", file.toString());
    assertThat(r.code).isEqualTo(1);
    assertThat(r.err).contains("400 Invalid policy").contains("  timeouts.total: ").contains("  colour: unknown field");

    assertThat(meshctl(TestControlPlane.CLIENT, "apply", "orders", "-f", file.toString()).err).contains("403");
    assertThat(meshctl(null, "services").err).contains("401");
    Files.writeString(file, "{}");
    meshctl(TestControlPlane.ADMIN, "apply", "orders", "-f", file.toString());
    Run stale = meshctl(TestControlPlane.ADMIN, "apply", "orders", "-f", file.toString(), "--if-revision", "7");
    assertThat(stale.code).isEqualTo(1);
    assertThat(stale.err).contains("409").contains("current revision: 1");
    assertThat(meshctl(TestControlPlane.ADMIN, "apply", "orders", "-f", dir.resolve("none.json").toString()).code)
        .isEqualTo(1);
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(meshctl(TestControlPlane.ADMIN, "apply", "orders").code).isEqualTo(2);
    assertThat(meshctl(TestControlPlane.ADMIN, "frobnicate").code).isEqualTo(2);
    assertThat(meshctl(TestControlPlane.ADMIN, "rollback", "orders", "abc").code).isEqualTo(2);
    assertThat(meshctl(TestControlPlane.ADMIN, "--help").code).isZero();
  }

  @Test
  void unreachableServerExitsOne() {
    StringWriter err = new StringWriter();
    int code = Meshctl.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "--url",
        "http://127.0.0.1:1", "services");
    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).contains("cannot reach");
  }

  @Test
  void instancesAndWatch() {
    cp.client.post("/v1/services/orders/instances", "{\"host\":\"10.0.0.7\",\"port\":8080,\"zone\":\"eu-1a\","
        + "\"labels\":{\"version\":\"v2\"}}");
    Run instances = meshctl(TestControlPlane.CLIENT, "instances", "orders");
    assertThat(instances.out).contains("10.0.0.7:8080").contains("eu-1a").contains("version=v2");

    Run first = meshctl(TestControlPlane.CLIENT, "watch", "orders", "payments", "--count", "1");
    assertThat(first.code).isZero();
    assertThat(first.out).contains("revision 1  orders: policy none (r0), 1 endpoint(s) (r1)")
        .contains("payments: policy none");

    CompletableFuture<Run> next = CompletableFuture.supplyAsync(() ->
        meshctl(TestControlPlane.CLIENT, "watch", "orders", "--since", "1", "--count", "1", "--wait", "20s"));
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> cp.server.hub().held() == 1);
    cp.admin.put("/v1/services/orders/policy", "{}");
    Run changed = next.orTimeout(20, TimeUnit.SECONDS).join();
    assertThat(changed.out).contains("revision 2  orders: policy set (r2)");
  }

  @Test
  void topologyAndClientsShowWhatTheClientsReported() {
    long current = cp.admin.put("/v1/services/orders/policy", "{\"timeouts\": {\"total\": \"2s\"}}").revision();
    String latency = "{\"firstUpperMicros\":" + io.mesh4j.internal.report.LatencyHistogram.upperMicros(
        io.mesh4j.internal.report.LatencyHistogram.bucket(1_000_000)) + ",\"counts\":[30]}";
    assertThat(cp.client.post("/v1/reports", "{\"service\":\"checkout\",\"instance\":\"i-1\","
        + "\"address\":\"10.0.0.7:8080\",\"version\":\"0.1.0\",\"intervalMs\":10000,"
        + "\"revisions\":{\"orders\":" + current + "},\"destinations\":[{\"service\":\"orders\",\"retries\":0,"
        + "\"hedges\":0,\"latency\":" + latency + ",\"endpoints\":[{\"address\":\"10.0.0.1:80\",\"success\":27,"
        + "\"failure\":3}]}]}").status()).isEqualTo(202);

    Run topology = meshctl(TestControlPlane.CLIENT, "topology", "--window", "10m");
    assertThat(topology.code).as(topology.err).isZero();
    assertThat(topology.out).startsWith("FROM").containsPattern("checkout +orders +\\d+\\.\\d\\d +90\\.00% +1\\.0ms +1\\.0ms +30")
        .contains("1 edge over 10m");
    assertThat(meshctl(TestControlPlane.CLIENT, "topology", "--json").out).contains("\"from\" : \"checkout\"");
    Run badWindow = meshctl(TestControlPlane.CLIENT, "topology", "--window", "1h");
    assertThat(badWindow.code).isEqualTo(1);
    assertThat(badWindow.err).contains("query.window").contains("expected: a duration from 10s to 10m");

    Run stat = meshctl(TestControlPlane.CLIENT, "stat", "orders", "--window", "10m");
    assertThat(stat.code).as(stat.err).isZero();
    assertThat(stat.out).startsWith("orders over 10m").containsPattern("from +checkout +\\d+\\.\\d\\d +90\\.00% +1\\.0ms")
        .containsPattern("10\\.0\\.0\\.1:80 +30 +90\\.00% +0");

    Run clients = meshctl(TestControlPlane.CLIENT, "clients");
    assertThat(clients.code).as(clients.err).isZero();
    assertThat(clients.out).startsWith("SERVICE").containsPattern("checkout +i-1 +10\\.0\\.0\\.7:8080 +0\\.1\\.0 +\\d+s ago"
        + " +no +no +-");
  }
}

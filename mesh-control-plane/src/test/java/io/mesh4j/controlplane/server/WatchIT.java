package io.mesh4j.controlplane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mesh4j.controlplane.Http;
import io.mesh4j.controlplane.TestControlPlane;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchIT {
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
  void policyPutThenWatchReturnsIt() {
    Http.Reply put = cp.admin.put("/v1/services/orders/policy", "{\"timeouts\":{\"total\":\"2s\"}}");
    assertThat(put.status()).isEqualTo(200);
    long rev = put.json().get("revision").asLong();

    Http.Reply w = cp.client.get("/v1/watch?service=orders&since=0");
    assertThat(w.status()).isEqualTo(200);
    assertThat(w.json().get("revision").asLong()).isEqualTo(rev);
    assertThat(w.revision()).isEqualTo(rev);
    assertThat(w.json().at("/services/orders/policy/timeouts/total").asText()).isEqualTo("2s");
    assertThat(w.json().at("/services/orders/policyRevision").asLong()).isEqualTo(rev);
    assertThat(w.json().at("/services/orders/endpoints").isArray()).isTrue();
    assertThat(w.json().at("/services/orders/endpointsRevision").asLong()).isZero();
  }

  @Test
  void everyAnswerNamesTheStoresEpochWhichChangesWhenTheStoreIsOpenedAgain() throws Exception {
    cp.admin.put("/v1/services/orders/policy", "{}");
    Http.Reply watch = cp.client.get("/v1/watch?service=orders&since=0");
    String epoch = watch.json().get("epoch").asText();
    assertThat(epoch).matches("[0-9a-f]{16}");
    assertThat(watch.header("Mesh-Store-Epoch")).isEqualTo(epoch);
    Http.Reply health = cp.admin.get("/v1/health");
    assertThat(health.json().get("epoch").asText()).isEqualTo(epoch);
    assertThat(health.header("Mesh-Store-Epoch")).isEqualTo(epoch);
    Http.Reply notFound = cp.admin.get("/v1/services/nothing/policy");
    assertThat(notFound.status()).isEqualTo(404);
    assertThat(notFound.header("Mesh-Store-Epoch")).as("errors too").isEqualTo(epoch);
    Http.Reply held = cp.client.get("/v1/watch?service=orders&since=" + watch.revision() + "&wait=0s");
    assertThat(held.status()).isEqualTo(304);
    assertThat(held.header("Mesh-Store-Epoch")).as("304 too").isEqualTo(epoch);

    // The same data directory opened again (a restart, or a restore): another history, as clients see it.
    cp.close();
    cp = TestControlPlane.start(dir);
    Http.Reply again = cp.client.get("/v1/watch?service=orders&since=0");
    assertThat(again.json().get("revision").asLong()).isEqualTo(watch.revision());
    assertThat(again.json().get("epoch").asText()).matches("[0-9a-f]{16}").isNotEqualTo(epoch);
  }

  @Test
  void heldWatchIsWokenByAPut() {
    long rev = cp.admin.put("/v1/services/orders/policy", "{}").json().get("revision").asLong();
    CompletableFuture<Http.Reply> held = cp.client.getAsync("/v1/watch?service=orders&since=" + rev + "&wait=30s");
    await().atMost(Duration.ofSeconds(10)).until(() -> cp.server.hub().held() == 1);
    assertThat(held).isNotDone();

    long next = cp.admin.put("/v1/services/orders/policy", "{\"timeouts\":{\"total\":\"3s\"}}")
        .json().get("revision").asLong();
    Http.Reply w = held.orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(w.status()).isEqualTo(200);
    assertThat(w.json().get("revision").asLong()).isEqualTo(next);
    assertThat(w.json().at("/services/orders/policy/timeouts/total").asText()).isEqualTo("3s");
    assertThat(cp.server.hub().held()).isZero();
  }

  @Test
  void onAnEmptyStoreSinceZeroWaitsForTheFirstChange() {
    CompletableFuture<Http.Reply> held = cp.client.getAsync("/v1/watch?service=orders&service=payments&since=0");
    await().atMost(Duration.ofSeconds(10)).until(() -> cp.server.hub().held() == 1);
    cp.admin.put("/v1/services/orders/policy", "{}");
    Http.Reply w = held.orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(w.status()).isEqualTo(200);
    // since=0: the full state of every watched service, changed or not.
    assertThat(w.json().get("services").fieldNames()).toIterable().containsExactly("orders", "payments");
  }

  @Test
  void answers304AfterTheWait() {
    long rev = cp.admin.put("/v1/services/orders/policy", "{}").json().get("revision").asLong();
    long t0 = System.nanoTime();
    Http.Reply w = cp.client.get("/v1/watch?service=orders&since=" + rev + "&wait=300ms");
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(w.status()).isEqualTo(304);
    assertThat(w.revision()).isEqualTo(rev);
    assertThat(w.raw().body()).isEmpty();
    // wait plus at most 10% jitter, and some slack for a busy machine
    assertThat(ms).isBetween(290L, 3_000L);
    assertThat(cp.server.hub().held()).isZero();
  }

  @Test
  void waitZeroAnswersAtOnce() {
    long rev = cp.admin.put("/v1/services/orders/policy", "{}").json().get("revision").asLong();
    assertThat(cp.client.get("/v1/watch?service=orders&since=" + rev + "&wait=0s").status()).isEqualTo(304);
  }

  /**
   * A watch of more services than a URI holds goes in a POST body. Before, a client that called more than
   * 256 distinct hosts had its one watch refused (400), and past a few thousand the URI was too long (414).
   */
  @Test
  void aPostWatchTakesThousandsOfServicesInItsBody() throws Exception {
    long rev = cp.admin.put("/v1/services/orders/policy", "{\"timeouts\":{\"total\":\"2s\"}}").revision();
    StringBuilder get = new StringBuilder("/v1/watch?since=0");
    var body = Http.MAPPER.createObjectNode();
    var names = body.putArray("services");
    for (int i = 0; i < 3000; i++) {
      names.add("host-" + i);
      if (i < 300) {
        get.append("&service=host-").append(i);
      }
    }
    names.add("orders");
    body.put("since", 0);

    Http.Reply refused = cp.client.get(get.toString());
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.json().at("/violations/0/problem").asText())
        .isEqualTo("300 services (expected: at most 256 per GET watch; POST /v1/watch takes up to 10000)");

    Http.Reply all = cp.client.post("/v1/watch", body.toString());
    assertThat(all.status()).isEqualTo(200);
    assertThat(all.json().get("services").size()).isEqualTo(3001);
    assertThat(all.json().at("/services/orders/policy/timeouts/total").asText()).isEqualTo("2s");
    assertThat(all.json().at("/services/host-2999/policyRevision").asLong()).isZero();

    // Held like a GET watch, and woken by a change to any of them.
    body.put("since", rev).put("wait", "30s");
    CompletableFuture<Http.Reply> held = CompletableFuture.supplyAsync(() -> cp.client.post("/v1/watch", body.toString()));
    await().atMost(Duration.ofSeconds(10)).until(() -> cp.server.hub().held() == 1);
    long next = cp.admin.put("/v1/services/host-2999/policy", "{}").revision();
    Http.Reply w = held.orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(w.status()).isEqualTo(200);
    assertThat(w.json().get("revision").asLong()).isEqualTo(next);
    assertThat(w.json().get("services").fieldNames()).toIterable().containsExactly("host-2999");
  }

  @Test
  void aBadPostWatchNamesEveryBadField() {
    Http.Reply r = cp.client.post("/v1/watch?since=3",
        "{\"services\":[\"orders\",\"Bad_Name\",7],\"since\":-1,\"wait\":\"forever\",\"colour\":1}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("violations").findValuesAsText("path"))
        .containsExactlyInAnyOrder("query.since", "colour", "services[1]", "services[2]", "since", "wait");
    assertThat(r.json().toString()).doesNotContain("null");

    var tooMany = Http.MAPPER.createObjectNode();
    var names = tooMany.putArray("services");
    for (int i = 0; i <= 10_000; i++) {
      names.add("s" + i);
    }
    Http.Reply many = cp.client.post("/v1/watch", tooMany.toString());
    assertThat(many.status()).isEqualTo(400);
    assertThat(many.json().at("/violations/0/problem").asText())
        .isEqualTo("10001 services (expected: at most 10000 per watch; split them over several watches)");
    assertThat(cp.client.post("/v1/watch", "{\"services\":[]}").json().at("/violations/0/problem").asText())
        .isEqualTo("empty (expected: an array of 1..10000 service names)");
  }

  @Test
  void manyServicesInOneWatch() {
    List<String> names = new ArrayList<>();
    StringBuilder q = new StringBuilder("/v1/watch?wait=30s");
    for (int i = 0; i < 100; i++) {
      names.add("svc-" + i);
      q.append("&service=svc-").append(i);
    }
    for (int i = 0; i < 100; i += 10) {
      cp.admin.put("/v1/services/svc-" + i + "/policy", "{}");
    }
    // since=0: every watched service, set or not.
    Http.Reply all = cp.client.get(q + "&since=0");
    assertThat(all.status()).isEqualTo(200);
    assertThat(all.json().get("services").size()).isEqualTo(100);
    assertThat(all.json().at("/services/svc-1/policy").isNull()).isTrue();
    assertThat(all.json().at("/services/svc-10/policy").isObject()).isTrue();
    long rev = all.json().get("revision").asLong();

    CompletableFuture<Http.Reply> held = cp.client.getAsync(q + "&since=" + rev);
    await().atMost(Duration.ofSeconds(10)).until(() -> cp.server.hub().held() == 1);
    cp.admin.put("/v1/services/svc-42/policy", "{}");
    Http.Reply w = held.orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(w.status()).isEqualTo(200);
    assertThat(w.json().get("services").fieldNames()).toIterable().containsExactly("svc-42");
    // The watch left every one of its services' index entries.
    await().atMost(Duration.ofSeconds(5)).until(() -> cp.server.hub().held() == 0);

    // Only what changed after `since` comes back, even when several did.
    long r2 = w.json().get("revision").asLong();
    cp.admin.put("/v1/services/svc-7/policy", "{}");
    cp.admin.put("/v1/services/svc-99/policy", "{}");
    cp.admin.put("/v1/services/not-watched/policy", "{}");
    Http.Reply w2 = cp.client.get(q + "&since=" + r2);
    assertThat(w2.json().get("services").fieldNames()).toIterable().containsExactlyInAnyOrder("svc-7", "svc-99");
  }

  @Test
  void unrelatedChangesDoNotWakeAWatch() {
    long rev = cp.admin.put("/v1/services/orders/policy", "{}").json().get("revision").asLong();
    CompletableFuture<Http.Reply> held = cp.client.getAsync("/v1/watch?service=orders&since=" + rev + "&wait=1s");
    await().atMost(Duration.ofSeconds(10)).until(() -> cp.server.hub().held() == 1);
    cp.admin.put("/v1/services/payments/policy", "{}");
    Http.Reply w = held.orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(w.status()).isEqualTo(304);
    assertThat(w.revision()).isEqualTo(rev + 1);
  }

  @Test
  void sinceAheadOfTheServerGetsTheFullState() {
    cp.admin.put("/v1/services/orders/policy", "{}");
    Http.Reply w = cp.client.get("/v1/watch?service=orders&since=1000&wait=10s");
    assertThat(w.status()).isEqualTo(200);
    assertThat(w.json().at("/services/orders/policyRevision").asLong()).isEqualTo(1);
  }

  @Test
  void deletedPolicyIsReportedAsNull() {
    cp.admin.put("/v1/services/orders/policy", "{}");
    long rev = cp.admin.delete("/v1/services/orders/policy").json().get("revision").asLong();
    Http.Reply w = cp.client.get("/v1/watch?service=orders&since=1");
    assertThat(w.json().at("/services/orders/policy").isNull()).isTrue();
    assertThat(w.json().at("/services/orders/policyRevision").asLong()).isEqualTo(rev);
  }

  @Test
  void badParametersAreAllListed() {
    Http.Reply r = cp.client.get("/v1/watch?service=Bad_Name&service=ok&since=-3&wait=forever&colour=red");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.contentType()).isEqualTo("application/problem+json");
    assertThat(r.json().get("violations").findValuesAsText("path"))
        .containsExactly("query.colour", "query.service", "query.since", "query.wait");

    Http.Reply r2 = cp.client.get("/v1/watch?service=Bad_Name&service=ok&since=-3&wait=forever");
    assertThat(r2.status()).isEqualTo(400);
    assertThat(r2.json().get("violations").findValuesAsText("path"))
        .containsExactly("query.service", "query.since", "query.wait");

    assertThat(cp.client.get("/v1/watch?since=0").json().get("violations").findValuesAsText("path"))
        .containsExactly("query.service");
    assertThat(cp.client.get("/v1/watch?service=a&wait=10m").status()).isEqualTo(400);
  }

  @Test
  void closeAnswersHeldWatches() {
    long rev = cp.admin.put("/v1/services/orders/policy", "{}").json().get("revision").asLong();
    List<CompletableFuture<Http.Reply>> held = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      held.add(cp.client.getAsync("/v1/watch?service=orders&since=" + rev + "&wait=60s"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> cp.server.hub().held() == 5);
    long t0 = System.nanoTime();
    cp.close();
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(5_000);
    for (CompletableFuture<Http.Reply> f : held) {
      Http.Reply r = f.orTimeout(10, TimeUnit.SECONDS).join();
      assertThat(r.status()).isEqualTo(304);
      assertThat(r.header("Connection")).isEqualTo("close");
    }
  }
}

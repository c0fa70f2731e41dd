package io.mesh4j.controlplane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.mesh4j.controlplane.Http;
import io.mesh4j.controlplane.TestControlPlane;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryIT {
  static final String I = "/v1/services/orders/instances";
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
  void instancesAppearToWatchersAndExpireAfterMissedHeartbeats() {
    Http.Reply first = cp.client.get("/v1/watch?service=orders&since=0&wait=0s");
    assertThat(first.status()).isEqualTo(304);
    long rev = first.revision();
    CompletableFuture<Http.Reply> held = cp.client.getAsync("/v1/watch?service=orders&since=" + rev + "&wait=30s");
    await().atMost(Duration.ofSeconds(10)).until(() -> cp.server.hub().held() == 1);

    Http.Reply reg = cp.client.post(I, "{\"host\":\"10.0.0.7\",\"port\":8080,\"weight\":3,\"zone\":\"eu-1a\","
        + "\"labels\":{\"version\":\"v2\"},\"ttl\":\"1s\"}");
    assertThat(reg.status()).isEqualTo(201);
    assertThat(reg.header("Location")).isEqualTo(I + "/" + reg.json().get("instanceId").asText());
    long regRev = reg.json().get("revision").asLong();

    // The watcher sees the registration.
    Http.Reply w = held.orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(w.status()).isEqualTo(200);
    JsonNode svc = w.json().at("/services/orders");
    assertThat(svc.get("endpointsRevision").asLong()).isEqualTo(regRev);
    assertThat(svc.get("endpoints")).hasSize(1);
    JsonNode e = svc.get("endpoints").get(0);
    assertThat(e.get("host").asText()).isEqualTo("10.0.0.7");
    assertThat(e.get("port").asInt()).isEqualTo(8080);
    assertThat(e.get("weight").asInt()).isEqualTo(3);
    assertThat(e.get("zone").asText()).isEqualTo("eu-1a");
    assertThat(e.at("/labels/version").asText()).isEqualTo("v2");

    // No heartbeat: it expires after its 1 s TTL, and the watcher sees that too.
    long t0 = System.nanoTime();
    Http.Reply gone = cp.client.getAsync("/v1/watch?service=orders&since=" + regRev + "&wait=30s")
        .orTimeout(20, TimeUnit.SECONDS).join();
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(gone.status()).isEqualTo(200);
    assertThat(gone.json().at("/services/orders/endpoints")).isEmpty();
    assertThat(gone.json().at("/services/orders/endpointsRevision").asLong()).isGreaterThan(regRev);
    assertThat(ms).isLessThan(10_000);
    assertThat(cp.client.get(I).json().get("instances")).isEmpty();
    String id = reg.json().get("instanceId").asText();
    assertThat(cp.client.put(I + "/" + id + "/heartbeat", null).status()).isEqualTo(404);
  }

  @Test
  void heartbeatsKeepAnInstanceAlive() {
    String id = cp.client.post(I, "{\"host\":\"10.0.0.7\",\"port\":8080,\"ttl\":\"1s\"}").json()
        .get("instanceId").asText();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_500);
    int beats = 0;
    // Beat for 2.5 s (2.5 TTLs), each beat well within the TTL; bounded in count and time.
    while (System.nanoTime() < deadline && beats < 50) {
      Http.Reply hb = cp.client.put(I + "/" + id + "/heartbeat", null);
      assertThat(hb.status()).isEqualTo(200);
      beats++;
      await().pollDelay(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1)).until(() -> true);
    }
    assertThat(cp.client.get(I).json().get("instances")).hasSize(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> cp.client.get(I).json().get("instances").isEmpty());
  }

  @Test
  void reRegisteringAnAddressKeepsItsIdAndDeregisterRemovesIt() {
    Http.Reply a = cp.client.post(I, "{\"host\":\"10.0.0.7\",\"port\":8080}");
    Http.Reply b = cp.client.post(I, "{\"host\":\"10.0.0.7\",\"port\":8080}");
    assertThat(b.status()).isEqualTo(200);
    assertThat(b.json().get("instanceId")).isEqualTo(a.json().get("instanceId"));
    assertThat(b.json().get("revision")).isEqualTo(a.json().get("revision"));
    Http.Reply c = cp.client.post(I, "{\"host\":\"10.0.0.7\",\"port\":8080,\"weight\":5}");
    assertThat(c.json().get("instanceId")).isEqualTo(a.json().get("instanceId"));
    assertThat(c.json().get("revision").asLong()).isGreaterThan(a.json().get("revision").asLong());
    cp.client.post(I, "{\"host\":\"10.0.0.8\",\"port\":8080}");
    assertThat(cp.client.get(I).json().get("instances").findValuesAsText("host")).containsExactly("10.0.0.7",
        "10.0.0.8");

    String id = a.json().get("instanceId").asText();
    assertThat(cp.client.get(I + "/" + id).json().get("weight").asInt()).isEqualTo(5);
    assertThat(cp.client.delete(I + "/" + id).status()).isEqualTo(200);
    assertThat(cp.client.delete(I + "/" + id).status()).isEqualTo(404);
    assertThat(cp.client.delete("/v1/services/payments/instances/" + id).status()).isEqualTo(404);
    assertThat(cp.client.get(I).json().get("instances").findValuesAsText("host")).containsExactly("10.0.0.8");
  }

  @Test
  void badRegistrationsListEveryField() {
    Http.Reply r = cp.client.post(I, "{\"host\":\"bad host\",\"port\":70000,\"weight\":0,\"zone\":5,"
        + "\"labels\":{\"ok\":1},\"ttl\":\"2d\",\"extra\":true}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("violations").findValuesAsText("path"))
        .containsExactlyInAnyOrder("extra", "host", "port", "weight", "zone", "labels.ok", "ttl");
    assertThat(cp.client.post(I, "{}").json().get("violations").findValuesAsText("path"))
        .containsExactly("host", "port");
    assertThat(cp.client.post(I, "[]").status()).isEqualTo(400);
    for (String host : new String[] {"-x", "a b", "a/b", "user@h", "[::1]", ":::::::::::", "h".repeat(254)}) {
      assertThat(cp.client.post(I, "{\"host\":\"" + host + "\",\"port\":1}").status()).as(host).isEqualTo(400);
    }
    assertThat(cp.server.store().revision()).isZero();
  }

  @Test
  void ipv6AndHostNames() {
    for (String host : new String[] {"::1", "fe80::1%eth0", "2001:db8::7", "orders-7.eu.internal", "10.1.2.3"}) {
      assertThat(cp.client.post(I, "{\"host\":\"" + host + "\",\"port\":8080}").status()).as(host).isEqualTo(201);
    }
    assertThat(cp.client.get("/v1/watch?service=orders&since=0").json().at("/services/orders/endpoints")).hasSize(5);
  }

  @Test
  void storedInstancesSurviveARestartWithAFreshTtl() throws Exception {
    cp.client.post(I, "{\"host\":\"10.0.0.7\",\"port\":8080,\"ttl\":\"30s\"}");
    cp.close();
    cp = TestControlPlane.start(dir);
    JsonNode list = cp.client.get(I).json().get("instances");
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("ttl").asText()).isEqualTo("30s");
    assertThat(list.get(0).get("expiresIn").asText()).isNotEmpty();
  }
}

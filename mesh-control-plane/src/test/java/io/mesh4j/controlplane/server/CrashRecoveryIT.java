package io.mesh4j.controlplane.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.mesh4j.controlplane.ChildControlPlane;
import io.mesh4j.controlplane.Http;
import io.mesh4j.controlplane.TestControlPlane;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability: a control plane in a child JVM is killed with SIGKILL while writes stream in; after a
 * restart on the same data directory, every write it acknowledged is there.
 */
class CrashRecoveryIT {
  @TempDir Path tmp;

  record Ack(String service, long revision, String body, boolean instance) {}

  @Test
  void everyAcknowledgedWriteSurvivesKillDashNine() throws Exception {
    Path data = tmp.resolve("data");
    ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    int writers = 3;
    CountDownLatch enough = new CountDownLatch(150);
    List<Thread> threads = new ArrayList<>();
    try (ChildControlPlane child = ChildControlPlane.start(data, List.of("-Xmx128m"), List.of())) {
      Http admin = new Http(child.uri(), TestControlPlane.ADMIN);
      for (int w = 0; w < writers; w++) {
        final int writer = w;
        Thread t = new Thread(() -> {
          // Bounded: at most 2,000 writes per writer; they stop at the kill anyway.
          for (int i = 0; i < 2_000 && !stop.get(); i++) {
            String service = "svc-" + writer + "-" + (i % 4);
            try {
              if (i % 5 == 4) {
                String body = "{\"host\":\"10.0." + writer + "." + (i % 250 + 1) + "\",\"port\":" + (1000 + i)
                    + ",\"ttl\":\"1h\"}";
                Http.Reply r = admin.post("/v1/services/" + service + "/instances", body);
                assertThat(r.status()).isEqualTo(201);
                acks.add(new Ack(service, r.json().get("revision").asLong(), r.json().get("instanceId").asText(),
                    true));
              } else {
                String body = "{\"retries\":{\"maxAttempts\":" + (i % 5 + 1) + "},\"timeouts\":{\"total\":\""
                    + (1000 + i) + "ms\"}}";
                Http.Reply r = admin.put("/v1/services/" + service + "/policy", body);
                assertThat(r.status()).isEqualTo(200);
                acks.add(new Ack(service, r.json().get("revision").asLong(), body, false));
              }
              enough.countDown();
            } catch (UncheckedIOException e) {
              return; // the control plane is gone: this write was never acknowledged
            }
          }
        }, "writer-" + w);
        t.start();
        threads.add(t);
      }
      assertThat(enough.await(60, TimeUnit.SECONDS)).as("150 writes acknowledged").isTrue();
      child.kill(); // SIGKILL mid-stream: writers have requests in flight
      stop.set(true);
      for (Thread t : threads) {
        t.join(30_000);
      }
    }
    assertThat(acks.size()).isGreaterThanOrEqualTo(150);
    System.out.println("acknowledged writes before SIGKILL: " + acks.size());

    try (ChildControlPlane again = ChildControlPlane.start(data, List.of("-Xmx128m"), List.of())) {
      Http client = new Http(again.uri(), TestControlPlane.CLIENT);
      long maxAcked = acks.stream().mapToLong(Ack::revision).max().orElseThrow();
      assertThat(client.get("/v1/health").json().get("revision").asLong()).isGreaterThanOrEqualTo(maxAcked);

      Map<String, Map<Long, String>> history = new HashMap<>();
      for (Ack a : acks) {
        if (a.instance) {
          continue;
        }
        Map<Long, String> h = history.computeIfAbsent(a.service, s -> {
          Map<Long, String> m = new HashMap<>();
          for (JsonNode e : client.get("/v1/services/" + s + "/policy/history?limit=1000").json().get("history")) {
            m.put(e.get("revision").asLong(), e.get("policy").toString());
          }
          return m;
        });
        assertThat(h).as("policy write at revision %d of %s", a.revision, a.service).containsKey(a.revision);
        assertThat(h.get(a.revision)).isEqualTo(Http.MAPPER.readTree(a.body).toString());
      }
      for (Ack a : acks) {
        if (a.instance) {
          Http.Reply r = client.get("/v1/services/" + a.service + "/instances/" + a.body);
          assertThat(r.status()).as("instance registered at revision %d", a.revision).isEqualTo(200);
        }
      }
      // And the current policy of each service is at least as new as the last acknowledged write.
      Map<String, Long> lastAcked = new HashMap<>();
      acks.stream().filter(a -> !a.instance).forEach(a -> lastAcked.merge(a.service, a.revision, Math::max));
      lastAcked.forEach((s, rev) -> assertThat(client.get("/v1/services/" + s + "/policy").json().get("revision")
          .asLong()).isGreaterThanOrEqualTo(rev));
      // SIGTERM: a graceful stop (the JVM reports 128 + 15 for a signal-initiated exit).
      assertThat(again.stop()).isIn(0, 143);
    }
  }
}

package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.Mesh;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.StaticDiscovery;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * {@code Thread.interrupt()} of a thread in a mesh call: the call fails with an IOException (OkHttp's
 * promise), never another exception, and an interrupted call is not a failure of the endpoint.
 */
class InterruptIT {

  @Test
  void anInterruptedCallFailsWithAnIoExceptionAndBlamesNoEndpoint() throws Exception {
    List<TestBackend> backends = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      backends.add(TestBackend.start("b" + i, ex -> {
        try {
          Thread.sleep(20); // simulated work, so that interrupts land mid-call
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        TestBackend.respond(ex, 200, "ok");
      }));
    }
    try (Mesh mesh = Mesh.builder()
        .discovery(StaticDiscovery.of("backend", backends.stream().map(TestBackend::endpoint).toList()))
        .random(RandomSource.seeded(1)).eventLog(e -> { }).build()) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      Request request = new Request.Builder().url("http://backend/x").build();
      Map<String, Integer> outcomes = new TreeMap<>();
      for (int i = 0; i < 150; i++) {
        CountDownLatch started = new CountDownLatch(1);
        String[] outcome = new String[1];
        Thread caller = new Thread(() -> {
          started.countDown();
          try (Response r = client.newCall(request).execute()) {
            r.body().string();
            outcome[0] = "ok";
          } catch (IOException e) {
            outcome[0] = "IOException";
          } catch (Throwable t) {
            outcome[0] = "not an IOException: " + t;
          }
        });
        caller.start();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        // Interrupt at a different point of the call each time: 0 to ~30 ms into it.
        for (int spin = 0; spin < (i % 30) * 20_000; spin++) {
          Thread.onSpinWait();
        }
        caller.interrupt();
        caller.join(10_000);
        outcomes.merge(outcome[0], 1, Integer::sum);
      }
      assertThat(outcomes.keySet()).as("%s", outcomes).allMatch(k -> k.equals("ok") || k.equals("IOException"));
      for (EndpointStats e : mesh.service("backend").endpoints()) {
        assertThat(e.failures()).as("interrupts recorded against %s (%s)", e.endpoint(), outcomes).isZero();
      }
    } finally {
      for (TestBackend b : backends) {
        b.close();
      }
    }
  }
}

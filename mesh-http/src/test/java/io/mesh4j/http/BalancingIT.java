package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.Mesh;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.ServicePolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real loopback backends, one fifty times slower than the others. The gap is wide on purpose: on a machine
 * loaded past its cores every call waits tens of milliseconds for a CPU, and a 20 ms backend was within
 * that noise.
 */
class BalancingIT {
  private TestBackend fast1;
  private TestBackend fast2;
  private TestBackend slow;

  @BeforeEach
  void start() throws Exception {
    // The handlers' sleeps simulate the backends' work; they synchronize nothing.
    fast1 = TestBackend.start("fast1", ex -> {
      Thread.sleep(2);
      TestBackend.respond(ex, 200, "fast1");
    });
    fast2 = TestBackend.start("fast2", ex -> {
      Thread.sleep(2);
      TestBackend.respond(ex, 200, "fast2");
    });
    slow = TestBackend.start("slow", ex -> {
      Thread.sleep(100);
      TestBackend.respond(ex, 200, "slow");
    });
  }

  @AfterEach
  void stop() {
    fast1.close();
    fast2.close();
    slow.close();
  }

  private Map<String, Integer> drive(BalancerAlgorithm algorithm, int threads, int callsPerThread) throws Exception {
    StaticDiscovery discovery = StaticDiscovery.of("backend",
        List.of(fast1.endpoint(), fast2.endpoint(), slow.endpoint()));
    Map<String, Integer> counts = new ConcurrentHashMap<>();
    AtomicInteger failures = new AtomicInteger();
    try (Mesh mesh = Mesh.builder().discovery(discovery).random(RandomSource.seeded(42))
        // A 1 s decay instead of 10 s: the cold JVM's first calls (slow on every backend) fade within the test.
        .defaultPolicy(ServicePolicy.builder().balancer(new io.mesh4j.policy.BalancerPolicy(algorithm,
            Duration.ofSeconds(1), io.mesh4j.policy.BalancerPolicy.DEFAULT.defaultRtt())).build()).build()) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CountDownLatch done = new CountDownLatch(threads);
      for (int t = 0; t < threads; t++) {
        pool.execute(() -> {
          try {
            for (int i = 0; i < callsPerThread; i++) {
              try (Response r = client.newCall(new Request.Builder().url("http://backend/work").build()).execute()) {
                counts.merge(r.body().string(), 1, Integer::sum);
              } catch (Exception e) {
                failures.incrementAndGet();
              }
            }
          } finally {
            done.countDown();
          }
        });
      }
      assertThat(done.await(60, TimeUnit.SECONDS)).as("calls finished").isTrue();
      pool.shutdownNow();
    }
    assertThat(failures).hasValue(0);
    return counts;
  }

  @Test
  void peakEwmaSendsTheSlowBackendWellUnderItsFairShare() throws Exception {
    Map<String, Integer> counts = drive(BalancerAlgorithm.P2C_PEAK_EWMA, 4, 250);
    int total = counts.values().stream().mapToInt(Integer::intValue).sum();
    assertThat(total).isEqualTo(1000);
    // Fair share would be 333 (33%); P2C peak-EWMA should keep the slow one far below: under half of it.
    assertThat(counts.getOrDefault("slow", 0)).as("slow backend's requests of %s: %s", total, counts)
        .isLessThan(total / 6);
    assertThat(counts.get("fast1")).isGreaterThan(total / 4);
    assertThat(counts.get("fast2")).isGreaterThan(total / 4);
  }

  @Test
  void roundRobinIgnoresLatencyForComparison() throws Exception {
    Map<String, Integer> counts = drive(BalancerAlgorithm.ROUND_ROBIN, 4, 60);
    // Round robin gives every backend its third regardless of latency: the baseline P2C beats.
    assertThat(counts.get("slow")).isBetween(70, 90);
  }
}

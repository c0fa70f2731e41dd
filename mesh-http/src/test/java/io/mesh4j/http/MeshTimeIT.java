package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mesh4j.Mesh;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.FaultPolicy;
import io.mesh4j.policy.HedgePolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.time.ManualTicker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * The waits the policy asks for run on the mesh's {@link io.mesh4j.time.Ticker}: with a
 * {@link ManualTicker} a test sees exactly how long the mesh waits, and moves time instead of sleeping.
 * Each wait here is tens of seconds of the ticker's time; the tests take milliseconds.
 */
class MeshTimeIT {
  private static final Duration TOTAL = Duration.ofMinutes(5);
  private static final RetryPolicy RETRY_503 = RetryPolicy.builder().maxAttempts(2).retryOn(List.of(503))
      .backoff(Duration.ofMillis(1), Duration.ofMillis(2)).budget(100, 100, Duration.ofSeconds(10)).build();

  private final ManualTicker ticker = new ManualTicker();

  private Mesh mesh(List<TestBackend> backends, ServicePolicy policy) {
    return Mesh.builder()
        .discovery(StaticDiscovery.of("svc", backends.stream().map(TestBackend::endpoint).toList()))
        .defaultPolicy(policy).ticker(ticker).random(RandomSource.seeded(9)).eventLog(e -> { }).build();
  }

  private static CompletableFuture<Integer> getAsync(OkHttpClient client) {
    return CompletableFuture.supplyAsync(() -> {
      try (Response r = client.newCall(new Request.Builder().url("http://svc/x").build()).execute()) {
        return r.code();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  @Test
  void aRetryAfterIsWaitedOutExactlyInTheMeshsTime() throws Exception {
    AtomicInteger n = new AtomicInteger();
    try (TestBackend backend = TestBackend.start("b", ex -> {
      if (n.incrementAndGet() == 1) {
        ex.getResponseHeaders().set("Retry-After", "30");
        TestBackend.respond(ex, 503, "busy");
      } else {
        TestBackend.respond(ex, 200, "ok");
      }
    });
         Mesh mesh = mesh(List.of(backend), ServicePolicy.builder().totalTimeout(TOTAL).retries(RETRY_503).build())) {
      CompletableFuture<Integer> call = getAsync(MeshOkHttp.client(mesh, new OkHttpClient()));
      // snippet:manual-ticker
      // Answered 503 with Retry-After: 30, the call waits until t = 30 s of the ticker's time
      await().until(() -> ticker.wakeTimes().equals(List.of(Duration.ofSeconds(30).toNanos())));
      assertThat(backend.hits.get()).isEqualTo(1);
      assertThat(call).isNotDone();

      ticker.advance(Duration.ofSeconds(30));   // and the retry is sent now
      assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo(200);
      // end-snippet
      assertThat(backend.hits.get()).isEqualTo(2);
    }
  }

  @Test
  void anInjectedDelayLastsExactlyItsDurationInTheMeshsTime() throws Exception {
    ServicePolicy policy = ServicePolicy.builder().totalTimeout(TOTAL)
        .faults(FaultPolicy.delay(100, Duration.ofSeconds(40))).build();
    try (TestBackend backend = TestBackend.ok("b"); Mesh mesh = mesh(List.of(backend), policy)) {
      CompletableFuture<Integer> call = getAsync(MeshOkHttp.client(mesh, new OkHttpClient()));
      await().atMost(Duration.ofSeconds(10))
          .until(() -> ticker.wakeTimes().equals(List.of(Duration.ofSeconds(40).toNanos())));
      assertThat(backend.hits.get()).isZero(); // delayed before anything is sent

      ticker.advance(Duration.ofSeconds(40));
      assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo(200);
      assertThat(backend.hits.get()).isEqualTo(1);
    }
  }

  @Test
  void aBackupIsSentWhenTheHedgeDelayPassesInTheMeshsTime() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (TestBackend held = TestBackend.start("held", ex -> {
      release.await(30, TimeUnit.SECONDS); // answers once the test is done with it
      TestBackend.respond(ex, 200, "held");
    });
         TestBackend quick = TestBackend.ok("quick");
         // Round robin from the first endpoint: the first attempt goes to the held backend.
         Mesh mesh = mesh(List.of(held, quick), ServicePolicy.builder().totalTimeout(TOTAL)
             .balancer(BalancerAlgorithm.ROUND_ROBIN).retries(RETRY_503)
             .hedging(HedgePolicy.fixed(Duration.ofSeconds(20))).build())) {
      try {
        CompletableFuture<Integer> call = getAsync(MeshOkHttp.client(mesh, new OkHttpClient()));
        await().atMost(Duration.ofSeconds(10)).until(() -> held.hits.get() == 1);
        assertThat(quick.hits.get()).isZero();

        // 20 s of the ticker's time: the backup goes to the other endpoint and answers first.
        ticker.advance(Duration.ofSeconds(20));
        assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo(200);
        assertThat(quick.hits.get()).isEqualTo(1);
        assertThat(held.hits.get()).isEqualTo(1);
      } finally {
        release.countDown();
      }
    }
  }
}

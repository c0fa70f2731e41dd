package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.policy.HedgePolicy;
import io.mesh4j.policy.OutlierPolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.ServicePolicy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Hedged requests against one slow and one fast loopback backend. */
class HedgingIT {
  private TestBackend slow;
  private TestBackend fast;
  private Mesh mesh;

  @BeforeEach
  void start() throws Exception {
    slow = TestBackend.start("slow", ex -> {
      Thread.sleep(400); // the backend's simulated slowness
      TestBackend.respond(ex, 200, "slow");
    });
    fast = TestBackend.ok("fast");
  }

  @AfterEach
  void stop() {
    if (mesh != null) {
      mesh.close();
    }
    slow.close();
    fast.close();
  }

  /** Round robin starting at the slow backend: every other call's first attempt is slow. */
  private OkHttpClient client(HedgePolicy hedging) {
    mesh = Mesh.builder().discovery(StaticDiscovery.of("svc", List.of(slow.endpoint(), fast.endpoint())))
        .defaultPolicy(ServicePolicy.builder().balancer(BalancerAlgorithm.ROUND_ROBIN).hedging(hedging).build())
        .build();
    return MeshOkHttp.client(mesh, new OkHttpClient());
  }

  private static long timedGet(OkHttpClient client, Request request) throws Exception {
    long start = System.nanoTime();
    try (Response r = client.newCall(request).execute()) {
      assertThat(r.code()).isEqualTo(200);
      r.body().string();
    }
    return (System.nanoTime() - start) / 1_000_000;
  }

  private static EndpointStats stats(ServiceRuntime rt, TestBackend b) {
    return rt.endpoints().stream().filter(s -> s.endpoint().port() == b.port()).findFirst().orElseThrow();
  }

  /**
   * The slow endpoint answers only when the test ends, and the call's deadline is 5 s: a call answered at
   * all was answered by the hedge, whatever the machine's load (no wall-clock window).
   */
  @Test
  void hedgingCutsTheTailAndCancelsTheLosingAttempt() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try (TestBackend stuck = TestBackend.start("stuck", ex -> {
      release.await(30, java.util.concurrent.TimeUnit.SECONDS);
      TestBackend.respond(ex, 200, "stuck");
    })) {
      mesh = Mesh.builder().discovery(StaticDiscovery.of("svc", List.of(stuck.endpoint(), fast.endpoint())))
          .defaultPolicy(ServicePolicy.builder().balancer(BalancerAlgorithm.ROUND_ROBIN).totalTimeout(Duration.ofSeconds(5))
              .hedging(HedgePolicy.fixed(Duration.ofMillis(30))).build())
          .build();
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      Request get = new Request.Builder().url("http://svc/x").build();
      try {
        for (int i = 0; i < 10; i++) {
          try (Response r = client.newCall(get).execute()) {
            assertThat(r.code()).isEqualTo(200);
            assertThat(r.body().string()).isEqualTo("fast");
          }
        }
        assertThat(stuck.hits.get()).as("first attempts that went to the stuck backend").isGreaterThanOrEqualTo(4);
        assertThat(fast.lastRequest()).containsKey(MeshHeaders.ATTEMPT);

        // The losing attempts were cancelled, not waited for: they never completed as answers.
        ServiceRuntime rt = mesh.service("svc");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats(rt, stuck).pending() == 0);
        assertThat(stats(rt, stuck).requests()).as("completed attempts on the stuck backend").isZero();
      } finally {
        release.countDown();
      }
    }
  }

  @Test
  void aLosingAttemptStillTeachesTheBalancerThatItsEndpointIsSlow() throws Exception {
    // Fast decay and a small seed, so an endpoint the balancer learns nothing about soon looks cheapest
    // again: if losing hedges taught it nothing, P2C would send nearly every first attempt to the slow
    // backend (and every call would wait for a hedge).
    mesh = Mesh.builder().discovery(StaticDiscovery.of("svc", List.of(slow.endpoint(), fast.endpoint())))
        .random(io.mesh4j.balance.RandomSource.seeded(9))
        .defaultPolicy(ServicePolicy.builder()
            .balancer(new io.mesh4j.policy.BalancerPolicy(BalancerAlgorithm.P2C_PEAK_EWMA, Duration.ofMillis(200),
                Duration.ofMillis(1)))
            .hedging(HedgePolicy.fixed(Duration.ofMillis(30))).build())
        .build();
    OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
    Request get = new Request.Builder().url("http://svc/x").build();
    for (int i = 0; i < 20; i++) {
      timedGet(client, get);
    }
    assertThat(slow.hits.get()).as("first attempts sent to the slow backend out of 20 calls").isLessThan(8);
  }

  @Test
  void withoutHedgingTheSlowBackendSetsTheTail() throws Exception {
    OkHttpClient client = client(HedgePolicy.DEFAULT); // disabled
    Request get = new Request.Builder().url("http://svc/x").build();
    long worst = 0;
    for (int i = 0; i < 4; i++) {
      worst = Math.max(worst, timedGet(client, get));
    }
    assertThat(worst).isGreaterThanOrEqualTo(400);
  }

  @Test
  void postIsNeverHedged() throws Exception {
    OkHttpClient client = client(HedgePolicy.fixed(Duration.ofMillis(30)));
    Request post = new Request.Builder().url("http://svc/x").post(RequestBody.create("{}", MediaType.get("application/json")))
        .build();
    long took = timedGet(client, post); // round robin: the first attempt goes to the slow backend
    assertThat(took).isGreaterThanOrEqualTo(400);
    assertThat(fast.hits).hasValue(0);
  }

  /**
   * Round robin over {@code first} then {@code second}, a hedge delay (60 s) far beyond the call's total
   * timeout (5 s), and no outlier ejection, so every call's first attempt goes to {@code first} (a refused
   * or failing endpoint stays in rotation). A call answered at all was therefore replaced without waiting
   * for the hedge delay: the tests assert that, not a wall-clock window.
   */
  private OkHttpClient firstAttemptsTo(Endpoint first, Endpoint second, RetryPolicy retries) {
    mesh = Mesh.builder().discovery(StaticDiscovery.of("svc", List.of(first, second)))
        .defaultPolicy(ServicePolicy.builder().balancer(BalancerAlgorithm.ROUND_ROBIN).totalTimeout(Duration.ofSeconds(5))
            .outlier(OutlierPolicy.builder().enabled(false).build()).retries(retries)
            .hedging(HedgePolicy.fixed(Duration.ofMillis(HEDGE_DELAY_MS))).build())
        .build();
    return MeshOkHttp.client(mesh, new OkHttpClient());
  }

  private static final long HEDGE_DELAY_MS = 60_000;

  private static int refusedPort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort(); // nothing listens on it once closed: connections are refused
    }
  }

  @Test
  void aRefusedConnectionMovesToAnotherEndpointAtOnceNotAfterTheHedgeDelay() throws Exception {
    int deadPort = refusedPort();
    OkHttpClient client = firstAttemptsTo(Endpoint.of("127.0.0.1", deadPort), fast.endpoint(), RetryPolicy.DEFAULT);
    Request get = new Request.Builder().url("http://svc/x").build();
    for (int i = 0; i < 10; i++) {
      timedGet(client, get); // 200: fails here without the fix (ConnectException), or at the 5 s deadline
    }
    ServiceRuntime rt = mesh.service("svc");
    EndpointStats dead = rt.endpoints().stream().filter(s -> s.endpoint().port() == deadPort).findFirst().orElseThrow();
    assertThat(dead.failures()).as("first attempts refused by the dead endpoint").isEqualTo(10);
    assertThat(fast.hits).hasValue(10);
    assertThat(fast.lastRequest()).containsEntry(MeshHeaders.ATTEMPT, "2");
  }

  @Test
  void aRetryableStatusMovesToAnotherEndpointAtOnceNotAfterTheHedgeDelay() throws Exception {
    try (TestBackend unavailable = TestBackend.start("unavailable", ex -> TestBackend.respond(ex, 503, ""))) {
      OkHttpClient client = firstAttemptsTo(unavailable.endpoint(), fast.endpoint(), RetryPolicy.DEFAULT);
      Request get = new Request.Builder().url("http://svc/x").build();
      for (int i = 0; i < 10; i++) {
        timedGet(client, get); // 200; without the fix: the 503, marked mesh-no-retry
      }
      assertThat(unavailable.hits).hasValue(10);
      assertThat(fast.hits).hasValue(10);
    }
  }

  @Test
  void fastRetryableFailuresStillStopAtTheRetryPolicysAttemptsAndMarkTheAnswer() throws Exception {
    AtomicInteger hits = new AtomicInteger();
    try (TestBackend a = TestBackend.start("a", ex -> {
          hits.incrementAndGet();
          TestBackend.respond(ex, 503, "");
        });
        TestBackend b = TestBackend.start("b", ex -> {
          hits.incrementAndGet();
          TestBackend.respond(ex, 503, "");
        })) {
      OkHttpClient client = firstAttemptsTo(a.endpoint(), b.endpoint(), RetryPolicy.builder().maxAttempts(4).build());
      // Answered (not cut by the 5 s deadline), so no attempt waited for the 60 s hedge delay.
      try (Response r = client.newCall(new Request.Builder().url("http://svc/x").build()).execute()) {
        assertThat(r.code()).isEqualTo(503);
        assertThat(r.header(MeshHeaders.NO_RETRY)).as("gave up: marked for the callers above").isEqualTo("1");
      }
      assertThat(hits).as("the retry policy's maxAttempts, no more").hasValue(4);
    }
  }

  @Test
  void aRefusedPostIsRetriedButNeverHedged() throws Exception {
    OkHttpClient client = firstAttemptsTo(Endpoint.of("127.0.0.1", refusedPort()), slow.endpoint(), RetryPolicy.DEFAULT);
    Request post = new Request.Builder().url("http://svc/x").post(RequestBody.create("{}", MediaType.get("application/json")))
        .build();
    timedGet(client, post); // refused (never written), so safe to send to the slow backend
    assertThat(slow.hits).hasValue(1);
  }
}

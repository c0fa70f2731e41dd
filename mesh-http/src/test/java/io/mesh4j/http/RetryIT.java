package io.mesh4j.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.mesh4j.Mesh;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.CircuitBreakerPolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Retries against real loopback servers, with WireMock for 503s, resets and Retry-After. */
class RetryIT {
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private WireMockServer wiremock() {
    WireMockServer w = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    w.start();
    closeables.add(w::stop);
    return w;
  }

  private TestBackend ok(String name) throws IOException {
    TestBackend b = TestBackend.ok(name);
    closeables.add(b);
    return b;
  }

  /** Round robin from a fixed start, so "the next endpoint" is known. */
  private OkHttpClient client(ServicePolicy policy, Endpoint... endpoints) {
    Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("svc", List.of(endpoints)))
        .defaultPolicy(policy.toBuilder().balancer(BalancerAlgorithm.ROUND_ROBIN).build())
        .random(RandomSource.seeded(3)).build();
    closeables.add(mesh);
    return MeshOkHttp.client(mesh, new OkHttpClient());
  }

  private OkHttpClient client(Endpoint... endpoints) {
    return client(ServicePolicy.DEFAULT, endpoints);
  }

  private static Endpoint at(WireMockServer w) {
    return Endpoint.of("127.0.0.1", w.port());
  }

  private static Request getRequest() {
    return new Request.Builder().url("http://svc/x").build();
  }

  private static Request postRequest() {
    return new Request.Builder().url("http://svc/x").post(RequestBody.create("{}", MediaType.get("application/json")))
        .build();
  }

  @Test
  void getIsRetriedOn503OnAnotherEndpoint() throws Exception {
    WireMockServer failing = wiremock();
    failing.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503)));
    TestBackend good = ok("good");
    OkHttpClient client = client(at(failing), good.endpoint());
    try (Response r = client.newCall(getRequest()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.header(MeshHeaders.NO_RETRY)).isNull();
    }
    assertThat(failing.getAllServeEvents()).hasSize(1);
    assertThat(failing.getAllServeEvents().get(0).getRequest().getHeader(MeshHeaders.ATTEMPT)).isEqualTo("1");
    assertThat(good.lastRequest()).containsEntry(MeshHeaders.ATTEMPT, "2");
  }

  @Test
  void postIsNotRetriedOn503ButIsRetriedOnConnectionRefused() throws Exception {
    WireMockServer failing = wiremock();
    failing.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503)));
    TestBackend good = ok("good");
    OkHttpClient client = client(at(failing), good.endpoint());
    try (Response r = client.newCall(postRequest()).execute()) {
      assertThat(r.code()).isEqualTo(503); // a POST that reached a server may have had effects
    }
    assertThat(good.hits).hasValue(0);

    int deadPort;
    try (TestBackend dead = TestBackend.ok("dead")) {
      deadPort = dead.port();
    }
    OkHttpClient refused = client(Endpoint.of("127.0.0.1", deadPort), good.endpoint());
    try (Response r = refused.newCall(postRequest()).execute()) {
      assertThat(r.code()).isEqualTo(200); // refused: never written, safe to send elsewhere
    }
    assertThat(good.lastRequest()).containsEntry(MeshHeaders.ATTEMPT, "2");
  }

  /**
   * A one-shot body (a stream that can be read once) refused by the first endpoint was never written, so
   * the call is retried with it on the next endpoint, and that endpoint receives it whole; a one-shot body
   * that was written is never sent twice. Before, one-shot bodies were never retried at all.
   */
  @Test
  void aOneShotBodyIsRetriedWhenItWasNeverWritten() throws Exception {
    java.util.concurrent.atomic.AtomicReference<String> received = new java.util.concurrent.atomic.AtomicReference<>();
    TestBackend good = TestBackend.start("good", ex -> {
      received.set(new String(ex.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
      TestBackend.respond(ex, 200, "good");
    });
    closeables.add(good);
    int deadPort;
    try (TestBackend dead = TestBackend.ok("dead")) {
      deadPort = dead.port();
    }
    OkHttpClient client = client(Endpoint.of("127.0.0.1", deadPort), good.endpoint());
    java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
    RequestBody oneShot = new RequestBody() {
      @Override
      public MediaType contentType() {
        return MediaType.get("application/json");
      }

      @Override
      public boolean isOneShot() {
        return true;
      }

      @Override
      public void writeTo(okio.BufferedSink sink) throws IOException {
        if (writes.incrementAndGet() > 1) {
          throw new IllegalStateException("a one-shot body was written twice");
        }
        sink.writeUtf8("{\"order\":7}");
      }
    };
    try (Response r = client.newCall(new Request.Builder().url("http://svc/x").post(oneShot).build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    assertThat(received.get()).isEqualTo("{\"order\":7}");
    assertThat(writes).hasValue(1);
    assertThat(good.lastRequest()).containsEntry(MeshHeaders.ATTEMPT, "2");
  }

  @Test
  void markedIdempotentPostIsRetriedOn503() throws Exception {
    WireMockServer failing = wiremock();
    failing.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503)));
    TestBackend good = ok("good");
    OkHttpClient client = client(at(failing), good.endpoint());
    Request withKey = postRequest().newBuilder().header("Idempotency-Key", "k-1").build();
    try (Response r = client.newCall(withKey).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    Request tagged = postRequest().newBuilder().tag(Idempotency.class, Idempotency.YES).build();
    try (Response r = client.newCall(tagged).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
  }

  @Test
  void connectionResetIsRetriedForGetButNotForPost() throws Exception {
    WireMockServer resetting = wiremock();
    resetting.stubFor(any(anyUrl()).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
    TestBackend good = ok("good");
    OkHttpClient client = client(at(resetting), good.endpoint());
    try (Response r = client.newCall(getRequest()).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    OkHttpClient client2 = client(at(resetting), good.endpoint());
    assertThatThrownBy(() -> client2.newCall(postRequest()).execute()).isInstanceOf(IOException.class);
  }

  @Test
  void retryAfterIsHonouredAndNoRetryHappensWhenTheDeadlineWouldPass() throws Exception {
    WireMockServer w = wiremock();
    w.stubFor(get(anyUrl()).inScenario("s").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(503).withHeader("Retry-After", "1")).willSetStateTo("recovered"));
    w.stubFor(get(anyUrl()).inScenario("s").whenScenarioStateIs("recovered")
        .willReturn(aResponse().withStatus(200).withBody("ok")));
    OkHttpClient client = client(at(w));
    long start = System.nanoTime();
    try (Response r = client.newCall(getRequest()).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(1000));

    w.resetScenarios();
    start = System.nanoTime();
    try (Scope ignored = Deadline.after(Duration.ofMillis(500)).makeCurrent();
         Response r = client.newCall(getRequest()).execute()) {
      assertThat(r.code()).isEqualTo(503); // waiting 1 s would pass the 500 ms deadline: give up now
      assertThat(r.header(MeshHeaders.NO_RETRY)).isEqualTo("1");
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(500));
    assertThat(w.getAllServeEvents()).hasSize(3);
  }

  @Test
  void attemptsExhaustedMarksTheResponseSoUpstreamMeshClientsDoNotRetry() throws Exception {
    WireMockServer failing = wiremock();
    failing.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503)));
    OkHttpClient client = client(at(failing));
    try (Response r = client.newCall(getRequest()).execute()) {
      assertThat(r.code()).isEqualTo(503);
      assertThat(r.header(MeshHeaders.NO_RETRY)).isEqualTo("1");
    }
    assertThat(failing.getAllServeEvents()).hasSize(3);

    // A client with retries off gave nothing up: it leaves its callers free to retry.
    OkHttpClient noRetries = client(ServicePolicy.builder().retries(RetryPolicy.disabled()).build(), at(failing));
    try (Response r = noRetries.newCall(getRequest()).execute()) {
      assertThat(r.code()).isEqualTo(503);
      assertThat(r.header(MeshHeaders.NO_RETRY)).isNull();
    }
    assertThat(failing.getAllServeEvents()).hasSize(4);

    // A response already marked by a mesh client further down is passed up without retrying.
    failing.resetAll();
    failing.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503).withHeader(MeshHeaders.NO_RETRY, "1")));
    try (Response r = client.newCall(getRequest()).execute()) {
      assertThat(r.code()).isEqualTo(503);
    }
    assertThat(failing.getAllServeEvents()).hasSize(1);
  }

  static final int HAMMER_THREADS = 4;

  /** Calls from 4 threads for about a second, or 4,000 calls; returns {calls, elapsed ms}. */
  private static long[] hammer(OkHttpClient client) throws Exception {
    AtomicInteger calls = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(HAMMER_THREADS);
    CountDownLatch done = new CountDownLatch(HAMMER_THREADS);
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(1);
    for (int t = 0; t < HAMMER_THREADS; t++) {
      pool.execute(() -> {
        try {
          while (System.nanoTime() < end && calls.incrementAndGet() <= 4_000) {
            try (Response r = client.newCall(getRequest()).execute()) {
              r.body().string();
            } catch (IOException e) {
              // counted by the server; not expected here
            }
          }
        } finally {
          done.countDown();
        }
      });
    }
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    pool.shutdownNow();
    return new long[] {Math.min(calls.get(), 4_000), (System.nanoTime() - start) / 1_000_000};
  }

  @Test
  void theBudgetKeepsAttemptsNearTheRequestRateWhenEverythingFails() throws Exception {
    AtomicInteger hits = new AtomicInteger();
    TestBackend failing = TestBackend.start("failing", ex -> {
      hits.incrementAndGet();
      TestBackend.respond(ex, 503, "");
    });
    closeables.add(failing);
    // No backoff to speak of, so the budget is the only thing holding retries back.
    // The breaker is off: it would (rightly) stop the calls themselves, and the subject here is retries.
    ServicePolicy policy = ServicePolicy.builder().circuitBreaker(CircuitBreakerPolicy.builder().enabled(false).build())
        .retries(RetryPolicy.builder().backoff(Duration.ofNanos(1000), Duration.ofNanos(1000)).build()).build();
    long[] result = hammer(client(policy, failing.endpoint()));
    long calls = result[0];
    double seconds = result[1] / 1000.0;
    // 20% of requests + 10/s (the reserve starts with one second's worth), + 4 for threads racing for the last token.
    double bound = 1.2 * calls + 10 * (seconds + 1) + 4;
    assertThat((double) hits.get()).as("attempts for %d calls in %.2f s", calls, seconds).isLessThanOrEqualTo(bound);
    assertThat(hits.get()).as("some retries happened").isGreaterThan((int) calls);

    // Naive retries (a budget that never runs out): the retries keep failing, so retrying pauses all the
    // same (RetryBudget: 10 retry outcomes under 25% cured). Before the pause, every call made all 3
    // attempts (3x); now the backend sees about one attempt per call, plus the retries that ran before
    // ten of them had failed and those in flight at that moment (at most one per thread).
    hits.set(0);
    ServicePolicy naive = policy.toBuilder().retries(RetryPolicy.builder()
        .backoff(Duration.ofNanos(1000), Duration.ofNanos(1000)).budget(100, 10_000, Duration.ofSeconds(10)).build())
        .build();
    long naiveCalls = hammer(client(naive, failing.endpoint()))[0];
    assertThat(hits.get()).as("attempts for %d naive calls", naiveCalls)
        .isGreaterThan((int) naiveCalls).isLessThanOrEqualTo((int) naiveCalls + 10 + 2 * HAMMER_THREADS);
  }

  @Test
  void theGiveUpMarkerStopsTheNextHopFromMultiplyingRetries() throws Exception {
    WireMockServer c = wiremock();
    c.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503)));
    OkHttpClient bToC = client(at(c));
    // B relays C's status and the marker, as a service relaying a downstream failure should.
    TestBackend b = TestBackend.start("b", ex -> {
      try (Response r = bToC.newCall(new Request.Builder().url("http://svc/c").build()).execute()) {
        if (r.header(MeshHeaders.NO_RETRY) != null) {
          ex.getResponseHeaders().set(MeshHeaders.NO_RETRY, "1");
        }
        TestBackend.respond(ex, r.code(), "");
      }
    });
    closeables.add(b);
    Mesh meshA = Mesh.builder().discovery(StaticDiscovery.of("b", List.of(b.endpoint()))).build();
    closeables.add(meshA);
    OkHttpClient aToB = MeshOkHttp.client(meshA, new OkHttpClient());
    for (int i = 0; i < 5; i++) {
      try (Response r = aToB.newCall(new Request.Builder().url("http://b/x").build()).execute()) {
        assertThat(r.code()).isEqualTo(503);
      }
    }
    assertThat(b.hits).as("A did not retry B's marked answers").hasValue(5);
    assertThat(c.getAllServeEvents()).as("only B retried C: 3 attempts per call, not 9").hasSize(15);
  }
}

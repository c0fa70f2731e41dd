package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.mesh4j.Mesh;
import io.mesh4j.breaker.CircuitOpenException;
import io.mesh4j.breaker.ServiceBreakers;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.http.internal.CircuitBreakerInterceptor;
import io.mesh4j.policy.CircuitBreakerPolicy;
import io.mesh4j.policy.OutlierPolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.ServicePolicy;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The service-level breaker against a real loopback backend whose answers the test switches. */
class CircuitBreakerIT {
  /**
   * Opens at 50% failures over at least 5 calls in 10 s; half-opens after 1 s (short for the test,
   * long enough that the fail-fast checks run while it is still open on a busy machine); 2 trial calls.
   */
  private static final CircuitBreakerPolicy BREAKER = CircuitBreakerPolicy.builder()
      .failureRateThreshold(50).minimumCalls(5).window(Duration.ofSeconds(10))
      .openDuration(Duration.ofSeconds(1)).halfOpenCalls(2).build();

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final AtomicInteger status = new AtomicInteger(503);
  private ServiceBreakers breakers;

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private OkHttpClient client(Endpoint endpoint, CircuitBreakerPolicy breaker) {
    // Outlier ejection off, so that only the breaker reacts to the failures.
    // Retries off too: the breaker counts logical calls, and here each call is one request.
    ServicePolicy policy = ServicePolicy.builder().circuitBreaker(breaker).retries(RetryPolicy.disabled())
        .outlier(OutlierPolicy.builder().enabled(false).build()).build();
    Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("backend", List.of(endpoint))).defaultPolicy(policy)
        .eventLog(events::add).build();
    closeables.add(mesh);
    breakers = mesh.breakers(); // the mesh's own, which MeshOkHttp installs as layer 4
    return MeshOkHttp.client(mesh, new OkHttpClient());
  }

  private TestBackend backend() throws IOException {
    TestBackend backend = TestBackend.start("b", ex -> TestBackend.respond(ex, status.get(), "b"));
    closeables.add(backend);
    return backend;
  }

  private static int get(OkHttpClient client) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url("http://backend/x").build()).execute()) {
      return r.code();
    }
  }

  private State state() {
    return breakers.state("backend").orElseThrow();
  }

  @Test
  void opensOnFailuresFailsFastHalfOpensAndClosesWhenTheBackendRecovers() throws Exception {
    TestBackend backend = backend();
    OkHttpClient client = client(backend.endpoint(), BREAKER);

    for (int i = 0; i < 5; i++) {
      assertThat(get(client)).isEqualTo(503); // the failures themselves reach the caller
    }
    assertThat(state()).isEqualTo(State.OPEN);

    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(() -> get(client)).isInstanceOfSatisfying(CircuitOpenException.class, e -> {
        assertThat(e.service()).isEqualTo("backend");
        assertThat(e.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(1));
      }).hasMessageStartingWith("service 'backend': circuit breaker is OPEN (failure rate 100% >= 50% over the"
          + " last 10s); calls fail fast for up to ");
    }
    assertThat(backend.hits.get()).as("nothing sent while open").isEqualTo(5);

    status.set(200);
    // resilience4j's timer moves it to HALF_OPEN after openDuration, without a call.
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() -> state() == State.HALF_OPEN);
    assertThat(backend.hits.get()).isEqualTo(5);

    assertThat(get(client)).isEqualTo(200);
    assertThat(get(client)).isEqualTo(200);
    assertThat(state()).isEqualTo(State.CLOSED);
    assertThat(backend.hits.get()).isEqualTo(7);
    assertThat(get(client)).isEqualTo(200);

    assertThat(events).anyMatch(e -> e.startsWith("service 'backend': circuit breaker CLOSED -> OPEN (failure rate"))
        .contains("service 'backend': circuit breaker OPEN -> HALF_OPEN",
            "service 'backend': circuit breaker HALF_OPEN -> CLOSED");
  }

  @Test
  void failedTrialCallsOpenItAgain() throws Exception {
    TestBackend backend = backend();
    OkHttpClient client = client(backend.endpoint(), BREAKER);
    for (int i = 0; i < 5; i++) {
      get(client);
    }
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() -> state() == State.HALF_OPEN);

    assertThat(get(client)).isEqualTo(503);
    assertThat(get(client)).isEqualTo(503);

    assertThat(state()).isEqualTo(State.OPEN);
    assertThatThrownBy(() -> get(client)).isInstanceOf(CircuitOpenException.class)
        .hasMessageContaining("over 2 trial calls");
    assertThat(backend.hits.get()).isEqualTo(7);
  }

  @Test
  void connectionFailuresCountAsFailures() throws Exception {
    TestBackend gone = backend();
    Endpoint dead = gone.endpoint();
    gone.close(); // connections to it are refused now
    OkHttpClient client = client(dead, BREAKER);

    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> get(client)).isInstanceOf(ConnectException.class);
    }
    assertThatThrownBy(() -> get(client)).isInstanceOf(CircuitOpenException.class);
  }

  @Test
  void aDisabledBreakerLetsEveryCallThrough() throws Exception {
    TestBackend backend = backend();
    OkHttpClient client = client(backend.endpoint(), BREAKER.toBuilder().enabled(false).build());
    for (int i = 0; i < 20; i++) {
      assertThat(get(client)).isEqualTo(503);
    }
    assertThat(backend.hits.get()).isEqualTo(20);
    assertThat(breakers.state("backend")).isEmpty();
  }

  @Test
  void hostsThatAreNotMeshServicesPassThrough() throws Exception {
    TestBackend backend = backend();
    OkHttpClient client = client(backend.endpoint(), BREAKER);
    for (int i = 0; i < 10; i++) {
      try (Response r = client.newCall(new Request.Builder()
          .url("http://127.0.0.1:" + backend.port() + "/direct").build()).execute()) {
        assertThat(r.code()).isEqualTo(503);
      }
    }
    assertThat(breakers.all()).isEmpty();
  }
}

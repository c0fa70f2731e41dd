package io.mesh4j.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.OutlierPolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.ServicePolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Outlier ejection against real servers: a dead one, and one answering 503 (WireMock). */
class EjectionIT {
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<String> events = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private Mesh mesh(List<Endpoint> endpoints, Duration ejection) {
    return mesh(endpoints, ejection, BalancerAlgorithm.P2C_PEAK_EWMA);
  }

  private Mesh mesh(List<Endpoint> endpoints, Duration ejection, BalancerAlgorithm algorithm) {
    ServicePolicy policy = ServicePolicy.builder().balancer(algorithm)
        .outlier(OutlierPolicy.builder().consecutiveFailures(3).baseEjectionTime(ejection).build())
        .build();
    Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("backend", endpoints)).defaultPolicy(policy)
        .random(RandomSource.seeded(7)).eventLog(events::add).build();
    closeables.add(mesh);
    return mesh;
  }

  private static String get(OkHttpClient client) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url("http://backend/x").build()).execute()) {
      return r.code() + " " + r.body().string();
    }
  }

  private static EndpointStats stats(ServiceRuntime rt, int port) {
    return rt.endpoints().stream().filter(s -> s.endpoint().port() == port).findFirst().orElseThrow();
  }

  @Test
  void deadBackendIsEjectedRequestsSucceedOnTheOthersAndItIsReadmittedWhenBack() throws Exception {
    TestBackend a = TestBackend.ok("a");
    TestBackend b = TestBackend.ok("b");
    TestBackend dead = TestBackend.ok("c");
    closeables.add(a);
    closeables.add(b);
    int deadPort = dead.port();
    dead.close(); // nothing listens on deadPort now: connections are refused

    // Round robin, so the dead endpoint is certain to get its turns: P2C peak-EWMA may never pick it
    // at all once the live endpoints' measured latency is below its untried seed (which is the
    // balancer working, but then there is no ejection to test). 2 s: long enough that a loaded machine
    // cannot readmit it mid-loop.
    Mesh mesh = mesh(List.of(a.endpoint(), b.endpoint(), Endpoint.of("127.0.0.1", deadPort)),
        Duration.ofSeconds(2), BalancerAlgorithm.ROUND_ROBIN);
    OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
    for (int i = 0; i < 60; i++) {
      assertThat(get(client)).startsWith("200 "); // refused connections move to another endpoint
    }
    // POST too: a refused connection means nothing was sent, so any method may go elsewhere.
    try (Response r = client.newCall(new Request.Builder().url("http://backend/x")
        .post(RequestBody.create("{}", MediaType.get("application/json"))).build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    ServiceRuntime rt = mesh.service("backend");
    assertThat(stats(rt, deadPort).isEjected()).isTrue();
    assertThat(stats(rt, deadPort).failures()).isBetween(3L, 5L); // ejected after 3, not hammered after
    assertThat(events).anyMatch(e -> e.contains("ejected 127.0.0.1:" + deadPort));

    // Bring it back on the same port: once the ejection time has passed it gets traffic again.
    TestBackend revived = await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
        .until(() -> TestBackend.start("c", deadPort, ex -> TestBackend.respond(ex, 200, "c")), x -> true);
    closeables.add(revived);
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
      get(client);
      return revived.hits.get() > 0;
    });
    assertThat(stats(rt, deadPort).isEjected()).isFalse();
    assertThat(events).anyMatch(e -> e.contains("readmitted 127.0.0.1:" + deadPort));
  }

  @Test
  void backendAnswering503IsEjectedAfterConsecutiveFailures() throws Exception {
    WireMockServer failing = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    failing.start();
    closeables.add(failing::stop);
    failing.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503).withBody("overloaded")));
    TestBackend a = TestBackend.ok("a");
    TestBackend b = TestBackend.ok("b");
    closeables.add(a);
    closeables.add(b);

    // Round robin, so the failing endpoint keeps getting its turn: P2C peak-EWMA would already steer
    // away from it after one slow first answer, and the point here is the ejection itself.
    Mesh mesh = mesh(List.of(a.endpoint(), b.endpoint(), Endpoint.of("127.0.0.1", failing.port())),
        Duration.ofSeconds(30), BalancerAlgorithm.ROUND_ROBIN);
    OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
    int served503 = 0;
    for (int i = 0; i < 100; i++) {
      if (get(client).startsWith("503")) {
        served503++;
      }
    }
    ServiceRuntime rt = mesh.service("backend");
    assertThat(stats(rt, failing.port()).isEjected()).as("%s; 503s: %s; events %s", rt.endpoints(), served503, events)
        .isTrue();
    assertThat(served503).as("GETs answered 503 are retried on another endpoint").isZero();
    assertThat(failing.getAllServeEvents()).hasSize(3);
  }

  @Test
  void panicModeUsesEveryEndpointWhenAllAreFailing() throws Exception {
    WireMockServer failing = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    failing.start();
    closeables.add(failing::stop);
    failing.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503)));

    // Retries off: this is about which endpoints are used, not how often.
    Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("backend", List.of(Endpoint.of("127.0.0.1", failing.port()))))
        .defaultPolicy(ServicePolicy.builder().retries(RetryPolicy.disabled())
            .outlier(OutlierPolicy.builder().consecutiveFailures(3).build()).build())
        .eventLog(events::add).build();
    closeables.add(mesh);
    OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
    for (int i = 0; i < 10; i++) {
      assertThat(get(client)).startsWith("503"); // still sent: failing beats failing fast with nothing
    }
    ServiceRuntime rt = mesh.service("backend");
    assertThat(rt.panicMode()).isTrue();
    assertThat(failing.getAllServeEvents()).hasSize(10);
    assertThat(events).anyMatch(e -> e.contains("ejected"));

  }
}

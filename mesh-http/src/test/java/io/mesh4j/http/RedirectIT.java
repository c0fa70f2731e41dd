package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.Mesh;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.discovery.StaticDiscovery;
import java.net.ProtocolException;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * Redirects through the mesh: every hop to a mesh service is balanced and counted, a redirect is never an
 * endpoint failure, mesh headers never reach an outside host, loops stay bounded. Before, OkHttp followed
 * redirects below the mesh: {@code http://payments/ok} was looked up in DNS and the failure was blamed on
 * the endpoint that answered the redirect correctly, until it was ejected.
 */
class RedirectIT {

  private static TestBackend redirecting(String name, String location) throws Exception {
    return TestBackend.start(name, ex -> {
      ex.getResponseHeaders().set("Location", location);
      TestBackend.respond(ex, 302, "");
    });
  }

  private static String get(OkHttpClient client, String url) throws Exception {
    try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
      return r.code() + " " + r.body().string();
    }
  }

  @Test
  void aRedirectToAnotherMeshServiceGoesThroughTheMeshAndBlamesNoEndpoint() throws Exception {
    try (TestBackend orders = redirecting("orders", "http://payments/ok");
         TestBackend payments = TestBackend.ok("payments");
         Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("orders", List.of(orders.endpoint()))
             .set("payments", List.of(payments.endpoint()))).eventLog(e -> { }).build()) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      for (int i = 0; i < 10; i++) {
        assertThat(get(client, "http://orders/start")).isEqualTo("200 payments");
      }
      EndpointStats o = mesh.service("orders").endpoints().get(0);
      assertThat(o.failures()).as("a redirect is not a failure").isZero();
      assertThat(o.isEjected()).isFalse();
      assertThat(o.requests()).isEqualTo(10);
      assertThat(mesh.service("payments").endpoints().get(0).requests()).as("balanced and counted").isEqualTo(10);
      assertThat(payments.lastRequest()).containsEntry("host", "payments");
    }
  }

  @Test
  void aRelativeRedirectIsBalancedAcrossTheServicesEndpoints() throws Exception {
    try (TestBackend a = TestBackend.start("a", ex -> {
          if (ex.getRequestURI().getPath().equals("/start")) {
            ex.getResponseHeaders().set("Location", "/done");
            TestBackend.respond(ex, 302, "");
          } else {
            TestBackend.respond(ex, 200, "a");
          }
        });
        TestBackend b = TestBackend.start("b", ex -> {
          if (ex.getRequestURI().getPath().equals("/start")) {
            ex.getResponseHeaders().set("Location", "/done");
            TestBackend.respond(ex, 302, "");
          } else {
            TestBackend.respond(ex, 200, "b");
          }
        });
        Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("orders", List.of(a.endpoint(), b.endpoint())))
            .eventLog(e -> { }).build()) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      for (int i = 0; i < 20; i++) {
        assertThat(get(client, "http://orders/start")).startsWith("200 ");
      }
      long counted = mesh.service("orders").endpoints().stream().mapToLong(EndpointStats::requests).sum();
      assertThat(counted).as("both hops of every call went through the mesh").isEqualTo(40);
    }
  }

  @Test
  void meshHeadersNeverReachAnOutsideHost() throws Exception {
    try (TestBackend outside = TestBackend.ok("outside");
         TestBackend orders = redirecting("orders", "http://127.0.0.1:" + outside.port() + "/elsewhere");
         Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("orders", List.of(orders.endpoint())))
             .eventLog(e -> { }).build()) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      assertThat(get(client, "http://orders/start")).isEqualTo("200 outside");
      Map<String, String> seen = outside.lastRequest();
      assertThat(seen).containsEntry("host", "127.0.0.1:" + outside.port());
      assertThat(seen).doesNotContainKeys(MeshHeaders.ATTEMPT, "mesh-timeout-ms", "traceparent");
    }
  }

  @Test
  void aRedirectLoopStopsAfterTwentyFollowUpsAndBlamesNoEndpoint() throws Exception {
    try (TestBackend orders = redirecting("orders", "/again");
         Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("orders", List.of(orders.endpoint())))
             .eventLog(e -> { }).build()) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      assertThatThrownBy(() -> get(client, "http://orders/start")).isInstanceOf(ProtocolException.class)
          .hasMessageContaining("Too many follow-up requests: 21");
      EndpointStats o = mesh.service("orders").endpoints().get(0);
      assertThat(o.requests()).isEqualTo(21);
      assertThat(o.failures()).isZero();
    }
  }

  @Test
  void anApplicationThatTurnedRedirectsOffGetsTheRedirect() throws Exception {
    try (TestBackend orders = redirecting("orders", "/done");
         Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("orders", List.of(orders.endpoint())))
             .eventLog(e -> { }).build()) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient.Builder().followRedirects(false).build());
      assertThat(get(client, "http://orders/start")).isEqualTo("302 ");
    }
  }
}

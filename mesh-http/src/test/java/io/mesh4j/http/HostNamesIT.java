package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.Mesh;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/** Service names as hosts: validated like the control plane's, and a trailing dot names the same service. */
class HostNamesIT {

  @Test
  void staticDiscoveryRejectsNamesNoUrlHostCanMatch() {
    for (String bad : List.of("Payments", "-orders", "orders-", "ord_ers", "a".repeat(64), "")) {
      assertThatThrownBy(() -> StaticDiscovery.of(bad, List.of(Endpoint.of("10.0.0.1", 80))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("service name '" + bad + "'")
          .hasMessageContaining("expected: 1..63 lowercase letters, digits and '-'");
    }
  }

  /** {@code http://orders./x} is the fully-qualified spelling of {@code orders}: it goes through the mesh. */
  @Test
  void aTrailingDotNamesTheSameService() throws Exception {
    try (TestBackend backend = TestBackend.ok("orders");
         Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("orders", List.of(backend.endpoint())))
             .eventLog(e -> { }).build()) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      try (Response r = client.newCall(new Request.Builder().url("http://orders./x").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.body().string()).isEqualTo("orders");
      }
      assertThat(mesh.service("orders").endpoints().get(0).requests()).isEqualTo(1);
    }
  }
}

package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.Mesh;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.StaticPolicySource;
import java.io.IOException;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * Rows of the HTTP/gRPC parity table in docs/concepts.md, on HTTP; mesh-grpc's AnswerParityIT runs the
 * same rows on gRPC. Both transports classify answers with the one {@link io.mesh4j.AnswerClass}.
 */
class AnswerParityIT {

  private static Mesh mesh(TestBackend backend, String policyJson) {
    StaticPolicySource policies = StaticPolicySource.create();
    policies.putJson("backend", policyJson);
    return Mesh.builder().discovery(StaticDiscovery.of("backend", List.of(backend.endpoint()))).policies(policies)
        .random(RandomSource.seeded(3)).eventLog(e -> { }).build();
  }

  private static int get(OkHttpClient client) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url("http://backend/x").build()).execute()) {
      return r.code();
    }
  }

  /** Row "overload": 20 answers of 429 from one endpoint with a threshold of 2 do not eject it. */
  @Test
  void overloadAnswersDoNotEjectTheEndpoint() throws Exception {
    try (TestBackend backend = TestBackend.start("b", ex -> TestBackend.respond(ex, 429, "busy"));
         Mesh mesh = mesh(backend, """
             { "retries": { "enabled": false }, "outlier": { "consecutiveFailures": 2 } }""")) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      for (int i = 0; i < 20; i++) {
        assertThat(get(client)).isEqualTo(429);
      }
      EndpointStats e = mesh.service("backend").endpoints().get(0);
      assertThat(e.isEjected()).isFalse();
      assertThat(e.failures()).isZero();
    }
  }

  /** Row "retryOn": with retryOn [429], an injected 429 abort is retried (and absorbed). */
  @Test
  void retryOn429RetriesAnInjected429() throws Exception {
    try (TestBackend backend = TestBackend.ok("b");
         Mesh mesh = mesh(backend, """
             { "retries": { "maxAttempts": 5, "retryOn": [429], "budget": { "percent": 100, "minPerSecond": 1000 } },
               "faults": { "abort": { "percent": 30, "status": 429 } } }""")) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      int failed = 0;
      for (int i = 0; i < 100; i++) {
        if (get(client) != 200) {
          failed++;
        }
      }
      // 30% aborts, 5 attempts: a call fails only if all 5 are aborted (0.3^5 = 0.24%).
      assertThat(failed).isLessThanOrEqualTo(2);
      assertThat(backend.hits.get()).isEqualTo(100 - failed);
    }
  }
}

package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.Mesh;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.StaticPolicySource;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * One call, one policy revision ({@link io.mesh4j.CallPlan}): a policy pushed while a call is in flight
 * applies to the calls made after it, never to the rest of that call. mesh-grpc's CallPlanIT runs the
 * same on gRPC.
 */
class CallPlanIT {
  private static final String RETRY_ON_503 = """
      { "retries": { "maxAttempts": 2, "retryOn": [503], "backoff": { "base": "1ms", "cap": "2ms" },
                     "budget": { "percent": 100, "minPerSecond": 100 } } }""";
  /** The same retries, and every attempt aborted by an injected 500. */
  private static final String ABORT_ALL = """
      { "retries": { "maxAttempts": 2, "retryOn": [503], "backoff": { "base": "1ms", "cap": "2ms" },
                     "budget": { "percent": 100, "minPerSecond": 100 } },
        "faults": { "abort": { "percent": 100, "status": 500 } } }""";

  private static int get(OkHttpClient client) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url("http://backend/x").build()).execute()) {
      return r.code();
    }
  }

  @Test
  void aPolicyPushedDuringACallDoesNotChangeTheRestOfThatCall() throws Exception {
    StaticPolicySource policies = StaticPolicySource.create();
    policies.putJson("backend", RETRY_ON_503);
    AtomicInteger served = new AtomicInteger();
    // The first request pushes a policy that aborts every attempt, then answers 503 (retried); later
    // requests are answered 200.
    try (TestBackend backend = TestBackend.start("b", ex -> {
      if (served.incrementAndGet() == 1) {
        policies.putJson("backend", ABORT_ALL);
        TestBackend.respond(ex, 503, "busy");
      } else {
        TestBackend.respond(ex, 200, "ok");
      }
    });
         Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("backend", List.of(backend.endpoint())))
             .policies(policies).random(RandomSource.seeded(5)).eventLog(e -> { }).build()) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());

      // The retry belongs to a call planned before the push: no fault, it reaches the backend.
      assertThat(get(client)).isEqualTo(200);
      assertThat(backend.hits.get()).isEqualTo(2);
      assertThat(mesh.service("backend").policyRevision()).isEqualTo(2);

      // A call planned after the push gets the new policy: aborted before anything is sent.
      assertThat(get(client)).isEqualTo(500);
      assertThat(backend.hits.get()).isEqualTo(2);
    }
  }
}

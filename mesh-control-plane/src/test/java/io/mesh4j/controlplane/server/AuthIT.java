package io.mesh4j.controlplane.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.controlplane.Http;
import io.mesh4j.controlplane.TestControlPlane;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthIT {
  static final String P = "/v1/services/orders/policy";
  @TempDir Path dir;
  TestControlPlane cp;

  @BeforeEach
  void start() throws Exception {
    cp = TestControlPlane.start(dir);
  }

  @AfterEach
  void stop() {
    cp.close();
  }

  @Test
  void missingOrUnknownTokenIs401() {
    Http anonymous = cp.http(null);
    Http wrong = cp.http("not-a-token-at-all");
    for (Http h : new Http[] {anonymous, wrong}) {
      Http.Reply r = h.put(P, "{}");
      assertThat(r.status()).isEqualTo(401);
      assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
      assertThat(r.header("Connection")).isEqualTo("close"); // an unauthenticated connection is not kept
      assertThat(r.contentType()).isEqualTo("application/problem+json");
      assertThat(h.get("/v1/watch?service=orders&wait=0s").status()).isEqualTo(401);
      assertThat(h.get(P).status()).isEqualTo(401);
      assertThat(h.post("/v1/services/orders/instances", "{\"host\":\"h\",\"port\":1}").status()).isEqualTo(401);
    }
    // A token that is a prefix of the real one is no token.
    assertThat(cp.http(TestControlPlane.ADMIN.substring(0, 10)).put(P, "{}").status()).isEqualTo(401);
    assertThat(cp.server.store().revision()).isZero();
  }

  @Test
  void clientTokenCannotWritePolicies() {
    Http.Reply r = cp.client.put(P, "{}");
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().get("title").asText()).isEqualTo("Forbidden");
    assertThat(cp.client.delete(P).status()).isEqualTo(403);
    assertThat(cp.client.post(P + "/rollback?revision=1", null).status()).isEqualTo(403);
    assertThat(cp.server.store().revision()).isZero();
  }

  @Test
  void clientTokenWatchesReadsAndRegisters() {
    cp.admin.put(P, "{}");
    assertThat(cp.client.get(P).status()).isEqualTo(200);
    assertThat(cp.client.get("/v1/watch?service=orders&since=0").status()).isEqualTo(200);
    assertThat(cp.client.post("/v1/services/orders/instances", "{\"host\":\"10.0.0.1\",\"port\":80}").status())
        .isEqualTo(201);
    assertThat(cp.client.get("/v1/services").status()).isEqualTo(200);
  }

  @Test
  void adminTokenMayDoEverything() {
    assertThat(cp.admin.put(P, "{}").status()).isEqualTo(200);
    assertThat(cp.admin.get("/v1/watch?service=orders&since=0").status()).isEqualTo(200);
    assertThat(cp.admin.post("/v1/services/orders/instances", "{\"host\":\"10.0.0.1\",\"port\":80}").status())
        .isEqualTo(201);
  }

  @Test
  void healthNeedsNoToken() {
    assertThat(cp.http(null).get("/v1/health").status()).isEqualTo(200);
  }

  @Test
  void tokensNeverComeBackInAnswers() {
    Http wrong = cp.http("secret-that-must-not-echo-123");
    assertThat(wrong.put(P, "{}").raw().body()).doesNotContain("secret-that-must-not-echo");
    assertThat(cp.client.put(P, "{}").raw().body()).doesNotContain(TestControlPlane.CLIENT);
  }
}

package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.AttemptTimeoutException;
import io.mesh4j.DeadlineExceededException;
import io.mesh4j.Mesh;
import io.mesh4j.NoEndpointsException;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.deadline.DeadlinePropagator;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The OkHttp integration's contract: what it keeps, what it passes through, how it fails. */
class MeshOkHttpTest {
  private final CountDownLatch release = new CountDownLatch(1);
  private TestBackend backend;
  private TestBackend held;
  private StaticDiscovery discovery;
  private StaticPolicySource policies;
  private Mesh mesh;

  @BeforeEach
  void start() throws Exception {
    backend = TestBackend.ok("orders-1");
    held = TestBackend.start("held", ex -> {
      release.await(30, TimeUnit.SECONDS);
      TestBackend.respond(ex, 200, "late");
    });
    discovery = StaticDiscovery.create().set("orders", List.of(backend.endpoint()))
        .set("slow", List.of(held.endpoint())).set("empty", List.of());
    policies = StaticPolicySource.create();
    mesh = Mesh.builder().discovery(discovery).policies(policies).build();
  }

  @AfterEach
  void stop() {
    release.countDown();
    mesh.close();
    backend.close();
    held.close();
  }

  private static Request get(String url) {
    return new Request.Builder().url(url).build();
  }

  @Test
  void keepsTheApplicationsInterceptorsPoolAndDispatcher() throws Exception {
    OkHttpClient base = new OkHttpClient.Builder()
        .addInterceptor(chain -> chain.proceed(chain.request().newBuilder().header("X-App", "kept").build()))
        .build();
    OkHttpClient client = MeshOkHttp.client(mesh, base);
    assertThat(client.connectionPool()).isSameAs(base.connectionPool());
    assertThat(client.dispatcher()).isSameAs(base.dispatcher());
    try (Response r = client.newCall(get("http://orders/v1/orders/7")).execute()) {
      assertThat(r.body().string()).isEqualTo("orders-1");
    }
    assertThat(backend.lastRequest()).containsEntry("x-app", "kept");
  }

  @Test
  void hostsThatAreNotMeshServicesPassThroughUntouched() throws Exception {
    OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
    try (Response r = client.newCall(get("http://127.0.0.1:" + backend.port() + "/direct")).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    assertThat(backend.lastRequest()).doesNotContainKey(DeadlinePropagator.HEADER);
    assertThat(mesh.services()).isEmpty();
  }

  @Test
  void asyncEnqueueGoesThroughTheMeshAndInheritsTheCallersDeadline() throws Exception {
    OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
    CompletableFuture<String> body = new CompletableFuture<>();
    Call call;
    try (Scope ignored = Deadline.after(Duration.ofSeconds(5)).makeCurrent()) {
      call = client.newCall(get("http://orders/async")); // context captured here, on the caller's thread
    }
    call.enqueue(new Callback() {
      @Override
      public void onFailure(Call c, IOException e) {
        body.completeExceptionally(e);
      }

      @Override
      public void onResponse(Call c, Response r) throws IOException {
        try (r) {
          body.complete(r.body().string());
        }
      }
    });
    assertThat(body.get(10, TimeUnit.SECONDS)).isEqualTo("orders-1");
    long sent = Long.parseLong(backend.lastRequest().get(DeadlinePropagator.HEADER));
    assertThat(sent).as("the caller's 5 s deadline, not the 15 s policy default").isBetween(1L, 5_000L);
  }

  @Test
  void noEndpointsIsATypedIoExceptionNamingTheService() {
    OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
    assertThatThrownBy(() -> client.newCall(get("http://empty/x")).execute())
        .isInstanceOf(NoEndpointsException.class)
        .isInstanceOf(IOException.class)
        .hasMessage("service 'empty': no endpoints known (discovery: static)");
  }

  @Test
  void perAttemptTimeoutFailsEachAttemptWithATypedErrorAndIdempotentCallsAreRetried() {
    policies.put("slow", ServicePolicy.builder().totalTimeout(Duration.ofSeconds(5))
        .perAttemptTimeout(Duration.ofMillis(200)).build());
    OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
    assertThatThrownBy(() -> client.newCall(get("http://slow/x")).execute())
        .isInstanceOf(AttemptTimeoutException.class)
        .isInstanceOf(DeadlineExceededException.class)
        .hasMessageContaining("per-attempt timeout of 200 ms")
        .hasMessageContaining(held.endpoint().address());
    // GET is idempotent: three attempts (the default maxAttempts), each cut at 200 ms, each a failure.
    assertThat(mesh.service("slow").endpoints().get(0).failures()).isEqualTo(3);
    assertThat(held.hits).hasValue(3);
  }

  @Test
  void aPolicyChangeAppliesToTheNextCallWithoutRebuildingTheClient() throws Exception {
    OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
    try (Response r = client.newCall(get("http://orders/a")).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    assertThat(Long.parseLong(backend.lastRequest().get(DeadlinePropagator.HEADER))).isGreaterThan(10_000L);
    policies.put("orders", ServicePolicy.builder().totalTimeout(Duration.ofMillis(750)).build());
    try (Response r = client.newCall(get("http://orders/b")).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    assertThat(Long.parseLong(backend.lastRequest().get(DeadlinePropagator.HEADER))).isBetween(1L, 750L);
  }

  @Test
  void installingTwiceIsRejected() {
    OkHttpClient once = MeshOkHttp.client(mesh, new OkHttpClient());
    assertThatThrownBy(() -> MeshOkHttp.client(mesh, once))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("already has the mesh installed");
  }
}

package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.Headers;
import io.mesh4j.DeadlineExceededException;
import io.mesh4j.Mesh;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.deadline.DeadlinePropagator;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A two-hop chain on loopback, A (this test) -> B -> C, each hop through its own mesh client. B reads
 * the caller's deadline from the request the way an inbound filter does and calls C with it.
 */
class DeadlineChainIT {
  private static final TextMapGetter<Headers> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Headers carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Headers carrier, String key) {
      return carrier == null ? null : carrier.getFirst(key);
    }
  };

  private final CountDownLatch releaseC = new CountDownLatch(1);
  private final CompletableFuture<Throwable> bOutcome = new CompletableFuture<>();
  private final CompletableFuture<Long> bInheritedMillis = new CompletableFuture<>();
  private TestBackend c;
  private TestBackend b;
  private Mesh meshB;
  private Mesh meshA;
  private StaticPolicySource policiesA;

  @BeforeEach
  void start() throws Exception {
    // C holds every request until the test releases it: it is "slow" without any sleep.
    c = TestBackend.start("c", ex -> {
      releaseC.await(30, TimeUnit.SECONDS);
      TestBackend.respond(ex, 200, "c");
    });
    meshB = Mesh.builder().discovery(StaticDiscovery.of("c", List.of(c.endpoint()))).build();
    OkHttpClient clientB = MeshOkHttp.client(meshB, new OkHttpClient());
    b = TestBackend.start("b", ex -> {
      // What the inbound servlet filter will do: extract trace context and deadline, make them current.
      Context inbound = meshB.telemetry().propagator().extract(Context.root(), ex.getRequestHeaders(), HEADERS);
      Deadline inherited = Deadline.fromContext(inbound);
      bInheritedMillis.complete(inherited == null ? -1 : inherited.remaining().toMillis());
      try (Scope ignored = inbound.makeCurrent();
           Response r = clientB.newCall(new Request.Builder().url("http://c/work").build()).execute()) {
        bOutcome.complete(null);
        TestBackend.respond(ex, r.code(), r.body().string());
      } catch (Exception e) {
        bOutcome.complete(e);
        TestBackend.respond(ex, 504, "b gave up: " + e.getMessage());
      }
    });
    policiesA = StaticPolicySource.create();
    meshA = Mesh.builder().discovery(StaticDiscovery.of("b", List.of(b.endpoint()))).policies(policiesA).build();
  }

  @AfterEach
  void stop() {
    releaseC.countDown();
    meshA.close();
    meshB.close();
    b.close();
    c.close();
  }

  private Response callB() throws Exception {
    OkHttpClient clientA = MeshOkHttp.client(meshA, new OkHttpClient());
    return clientA.newCall(new Request.Builder().url("http://b/work").build()).execute();
  }

  @Test
  void deadlineIsPropagatedDownTheChainAndEnforcedAtEveryHop() throws Exception {
    long start = System.nanoTime();
    try (Scope ignored = Deadline.after(Duration.ofMillis(400)).makeCurrent()) {
      assertThatThrownBy(this::callB)
          .isInstanceOf(DeadlineExceededException.class)
          .hasMessageContaining("service 'b'")
          .hasMessageContaining("inherited from the caller")
          .satisfies(e -> assertThat(((DeadlineExceededException) e).wasSent()).isTrue());
    }
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(elapsedMs).as("A gave up at its deadline, not C's 30 s").isLessThan(5_000);

    // B inherited what was left of A's 400 ms, and so did C, a little less again.
    long bMillis = bInheritedMillis.get(5, TimeUnit.SECONDS);
    assertThat(bMillis).isBetween(1L, 400L);
    long headerAtB = Long.parseLong(b.lastRequest().get(DeadlinePropagator.HEADER));
    long headerAtC = Long.parseLong(c.lastRequest().get(DeadlinePropagator.HEADER));
    assertThat(headerAtB).isBetween(1L, 400L);
    assertThat(headerAtC).isBetween(1L, headerAtB);

    // B's own call to C was cut off by the inherited deadline, independently of A hanging up.
    Throwable bFailure = bOutcome.get(5, TimeUnit.SECONDS);
    assertThat(bFailure).isInstanceOf(DeadlineExceededException.class)
        .hasMessageContaining("service 'c'").hasMessageContaining("inherited from the caller");
  }

  @Test
  void expiredDeadlineFailsAtOnceWithoutSendingAnything() {
    try (Scope ignored = Deadline.after(Duration.ofMillis(-5)).makeCurrent()) {
      assertThatThrownBy(this::callB)
          .isInstanceOf(DeadlineExceededException.class)
          .hasMessageContaining("nothing was sent")
          .satisfies(e -> assertThat(((DeadlineExceededException) e).wasSent()).isFalse());
    }
    assertThat(b.hits).hasValue(0);
    assertThat(c.hits).hasValue(0);
  }

  @Test
  void policyTotalTimeoutBoundsACallWithoutInheritedDeadlineAndIsPropagated() throws Exception {
    policiesA.put("b", ServicePolicy.builder().totalTimeout(Duration.ofMillis(300)).build());
    assertThatThrownBy(this::callB)
        .isInstanceOf(DeadlineExceededException.class)
        .hasMessageContaining("policy timeouts.total");
    long headerAtB = Long.parseLong(b.lastRequest().get(DeadlinePropagator.HEADER));
    assertThat(headerAtB).isBetween(1L, 300L);
    assertThat(bOutcome.get(5, TimeUnit.SECONDS)).isInstanceOf(DeadlineExceededException.class);
  }

  @Test
  void anInheritedDeadlineLongerThanThePolicyIsShortenedByIt() throws Exception {
    releaseC.countDown(); // C answers at once
    policiesA.put("b", ServicePolicy.builder().totalTimeout(Duration.ofSeconds(2)).build());
    try (Scope ignored = Deadline.after(Duration.ofSeconds(60)).makeCurrent(); Response r = callB()) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("c");
    }
    assertThat(Long.parseLong(b.lastRequest().get(DeadlinePropagator.HEADER))).isBetween(1L, 2_000L);
  }
}

package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mesh4j.Mesh;
import io.mesh4j.breaker.CircuitOpenException;
import io.mesh4j.breaker.ServiceBreakers;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.http.internal.CircuitBreakerInterceptor;
import io.mesh4j.http.internal.LimitInterceptor;
import io.mesh4j.limit.ConcurrencyLimiter;
import io.mesh4j.limit.LimitExceededException;
import io.mesh4j.limit.LimitExceededException.Limit;
import io.mesh4j.limit.ServiceLimiters;
import io.mesh4j.policy.CircuitBreakerPolicy;
import io.mesh4j.policy.LimitPolicy;
import io.mesh4j.policy.LimitPolicy.Concurrency;
import io.mesh4j.policy.OutlierPolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.ServicePolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Client-side rate and concurrency limits, many threads against a real loopback backend. */
class LimitIT {
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final AtomicInteger inside = new AtomicInteger();
  private final AtomicInteger maxInside = new AtomicInteger();
  private ServiceLimiters limiters;

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private OkHttpClient client(TestBackend backend, LimitPolicy limits, CircuitBreakerPolicy breaker) {
    // Retries off: the limits count logical calls, and here each call is one request.
    ServicePolicy policy = ServicePolicy.builder().limits(limits).circuitBreaker(breaker)
        .retries(RetryPolicy.disabled()).outlier(OutlierPolicy.builder().enabled(false).build()).build();
    Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("backend", List.of(backend.endpoint())))
        .defaultPolicy(policy).eventLog(e -> { }).build();
    closeables.add(mesh);
    limiters = mesh.limiters(); // the mesh's own, which MeshOkHttp installs as layer 4
    return MeshOkHttp.client(mesh, new OkHttpClient());
  }

  private OkHttpClient client(TestBackend backend, LimitPolicy limits) {
    return client(backend, limits, CircuitBreakerPolicy.builder().enabled(false).build());
  }

  private TestBackend backend(TestBackend.Handler work, int status) throws IOException {
    TestBackend backend = TestBackend.start("b", ex -> {
      int now = inside.incrementAndGet();
      maxInside.accumulateAndGet(now, Math::max);
      try {
        work.handle(ex);
      } finally {
        inside.decrementAndGet();
      }
      TestBackend.respond(ex, status, "b");
    });
    closeables.add(backend);
    return backend;
  }

  private static int get(OkHttpClient client) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url("http://backend/x").build()).execute()) {
      return r.code();
    }
  }

  /** Results of many threads calling at once. */
  private static final class Load {
    final AtomicInteger ok = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();
    final Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
    final Queue<LimitExceededException> refusals = new ConcurrentLinkedQueue<>();
    long elapsedNanos;
  }

  /**
   * {@code threads} threads each call until {@code calls} calls or {@code duration} have passed,
   * whichever comes first.
   */
  private static Load run(OkHttpClient client, int threads, int calls, Duration duration) throws Exception {
    Load load = new Load();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> list = new ArrayList<>();
    long begin = System.nanoTime();
    long end = begin + duration.toNanos();
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < calls && System.nanoTime() - end < 0; i++) {
            try {
              int code = get(client);
              if (code == 200) {
                load.ok.incrementAndGet();
              } else {
                load.unexpected.add(new AssertionError("status " + code));
              }
            } catch (LimitExceededException e) {
              load.refused.incrementAndGet();
              if (load.refusals.size() < 5) {
                load.refusals.add(e);
              }
            }
          }
        } catch (Throwable e) {
          load.unexpected.add(e);
        }
      });
      thread.start();
      list.add(thread);
    }
    start.countDown();
    for (Thread thread : list) {
      thread.join(duration.toMillis() + 30_000);
      assertThat(thread.isAlive()).as("thread finished").isFalse();
    }
    load.elapsedNanos = System.nanoTime() - begin;
    assertThat(load.unexpected).isEmpty();
    return load;
  }

  @Test
  void rateLimitHoldsUnderEightThreads() throws Exception {
    TestBackend backend = backend(ex -> { }, 200);
    OkHttpClient client = client(backend, new LimitPolicy(50, 50, Concurrency.OFF, 100, 1, Duration.ZERO));

    Load load = run(client, 8, 5_000, Duration.ofSeconds(1));

    double seconds = load.elapsedNanos / 1e9;
    assertThat(load.ok.get()).as("admitted in %.3f s", seconds)
        .isGreaterThanOrEqualTo(50) // at least the burst
        .isLessThanOrEqualTo((int) (50 + 50 * seconds) + 2);
    assertThat(load.refused.get()).isPositive();
    assertThat(backend.hits.get()).as("refused calls sent nothing").isEqualTo(load.ok.get());
    assertThat(load.refusals.peek()).satisfies(e -> {
      assertThat(e.limit()).isEqualTo(Limit.RATE);
      assertThat(e.getMessage()).startsWith("service 'backend': rate limit of 50/s (burst 50) reached")
          .endsWith("nothing was sent");
    });
  }

  @Test
  void rateLimitWithMaxWaitSpacesCallsInsteadOfRefusingThem() throws Exception {
    TestBackend backend = backend(ex -> { }, 200);
    OkHttpClient client = client(backend, new LimitPolicy(100, 1, Concurrency.OFF, 100, 1, Duration.ofSeconds(5)));

    Load load = run(client, 8, 5, Duration.ofSeconds(30));

    assertThat(load.ok.get()).isEqualTo(40);
    assertThat(load.refused.get()).isZero();
    // 40 calls at 100/s from a bucket of one: the last one 390 ms after the first.
    assertThat(Duration.ofNanos(load.elapsedNanos)).isGreaterThanOrEqualTo(Duration.ofMillis(380));
  }

  @Test
  void fixedConcurrencyLimitRefusesCallsBeyondItWhileTheBackendHoldsThem() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    TestBackend backend = backend(ex -> release.await(30, TimeUnit.SECONDS), 200);
    OkHttpClient client = client(backend, LimitPolicy.concurrency(3, Duration.ZERO));

    Load[] result = new Load[1];
    Thread driver = new Thread(() -> {
      try {
        result[0] = run(client, 8, 1, Duration.ofSeconds(30));
      } catch (Throwable e) {
        throw new AssertionError(e);
      }
    });
    driver.start();
    // Three calls are held inside the backend; the five others were refused at once.
    await().atMost(Duration.ofSeconds(10)).until(() -> inside.get() == 3
        && limiters.get("backend").orElseThrow().concurrencyLimit().inFlight() == 3);
    assertThat(backend.hits.get()).isEqualTo(3);
    release.countDown();
    driver.join(30_000);

    Load load = result[0];
    assertThat(load.ok.get()).isEqualTo(3);
    assertThat(load.refused.get()).isEqualTo(5);
    assertThat(maxInside.get()).isEqualTo(3);
    assertThat(load.refusals.peek()).hasMessage("service 'backend': concurrency limit reached: 3 calls in flight"
        + " (fixed limit 3); waited 0 ms (limits.maxWait 0s); nothing was sent");
    assertThat(limiters.get("backend").orElseThrow().concurrencyLimit().inFlight()).isZero();
  }

  /**
   * A call waiting for room under a limit whose maxWait (30 s) is longer than its deadline (300 ms) fails
   * at the deadline, with a deadline error that says it waited for room and sent nothing. Before, the wait
   * ignored the deadline: the call waited the whole maxWait and then reported a deadline "passed before
   * the response" with wasSent() true.
   */
  @Test
  void aWaitForRoomEndsAtTheDeadlineNotAtMaxWait() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch holding = new CountDownLatch(1);
    TestBackend backend = backend(ex -> {
      holding.countDown();
      release.await(60, TimeUnit.SECONDS);
    }, 200);
    OkHttpClient client = client(backend, LimitPolicy.concurrency(1, Duration.ofSeconds(30)));
    Thread holder = new Thread(() -> {
      try {
        get(client);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    holder.start();
    try {
      assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue(); // the only slot is taken
      try (io.opentelemetry.context.Scope ignored = io.mesh4j.deadline.Deadline.after(Duration.ofMillis(300))
          .makeCurrent()) {
        long start = System.nanoTime();
        assertThatThrownBy(() -> get(client))
            .isInstanceOfSatisfying(io.mesh4j.DeadlineExceededException.class, e -> {
              assertThat(e.wasSent()).isFalse();
              assertThat(e.getMessage()).startsWith("service 'backend': deadline passed after waiting")
                  .contains("for room under the concurrency limit").endsWith("nothing was sent");
            });
        // Far below the 30 s maxWait it used to wait (not a timing window: the bound is 20x the deadline).
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
      }
      assertThat(backend.hits.get()).as("the waiting call sent nothing").isEqualTo(1);
    } finally {
      release.countDown();
      holder.join(10_000);
    }
  }

  @Test
  void fixedConcurrencyLimitWithMaxWaitQueuesEveryCallAndNeverExceedsIt() throws Exception {
    // 5 ms of simulated work per request, so that calls overlap.
    TestBackend backend = backend(ex -> Thread.sleep(5), 200);
    OkHttpClient client = client(backend, LimitPolicy.concurrency(3, Duration.ofSeconds(10)));

    Load load = run(client, 8, 10, Duration.ofSeconds(30));

    assertThat(load.ok.get()).isEqualTo(80);
    assertThat(load.refused.get()).isZero();
    assertThat(maxInside.get()).isLessThanOrEqualTo(3);
    assertThat(limiters.get("backend").orElseThrow().concurrencyLimit().inFlight()).isZero();
  }

  @Test
  void adaptiveLimitShrinksWhenTheBackendAnswers503() throws Exception {
    TestBackend backend = backend(ex -> { }, 503);
    OkHttpClient client = client(backend, LimitPolicy.adaptive(2, 100, Duration.ZERO));
    for (int i = 0; i < 10; i++) {
      assertThat(get(client)).isEqualTo(503);
    }
    ConcurrencyLimiter limit = limiters.get("backend").orElseThrow().concurrencyLimit();
    assertThat(limit.limit()).isEqualTo(6); // 20 x 0.9^10 = 6.97
    assertThat(limit.inFlight()).isZero();
  }

  @Test
  void callsRefusedByTheBreakerReleaseTheirSlotAndTeachTheLimitNothing() throws Exception {
    TestBackend backend = backend(ex -> { }, 503);
    CircuitBreakerPolicy breaker = CircuitBreakerPolicy.builder().minimumCalls(5).openDuration(Duration.ofSeconds(30))
        .build();
    OkHttpClient client = client(backend, LimitPolicy.adaptive(1, 100, Duration.ZERO), breaker);
    for (int i = 0; i < 5; i++) {
      assertThat(get(client)).isEqualTo(503);
    }
    ConcurrencyLimiter limit = limiters.get("backend").orElseThrow().concurrencyLimit();
    double afterDrops = limit.limitValue();
    assertThat(afterDrops).isLessThan(20);

    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> get(client)).isInstanceOf(CircuitOpenException.class);
    }
    assertThat(limit.limitValue()).isEqualTo(afterDrops);
    assertThat(limit.inFlight()).isZero();
    assertThat(backend.hits.get()).isEqualTo(5);
  }
}

package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.Messages.SimpleResponse;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.breaker.CircuitOpenException;
import io.mesh4j.limit.ConcurrencyLimiter;
import io.mesh4j.limit.LimitExceededException;
import io.mesh4j.policy.CircuitBreakerPolicy;
import io.mesh4j.policy.LimitPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The breaker and the client-side limits of {@link MeshClientInterceptor}, against a real loopback server. */
class ClientBreakerAndLimitsIT {
  private final StaticPolicySource policies = StaticPolicySource.create();
  private final IcptFixtures.CountingService service = new IcptFixtures.CountingService(IcptFixtures.ok("orders"));
  private Mesh mesh;
  private Server server;
  private ManagedChannel channel;
  private TestServiceGrpc.TestServiceBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    mesh = Mesh.builder().policies(policies).openTelemetry(OpenTelemetry.noop()).build();
    server = IcptFixtures.server(service);
    channel = IcptFixtures.channel(server, new MeshClientInterceptor(mesh, "orders"));
    stub = TestServiceGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() throws Exception {
    IcptFixtures.shutdown(channel);
    IcptFixtures.shutdown(server);
    mesh.close();
  }

  private static CircuitBreakerPolicy breaker(int minimumCalls) {
    return CircuitBreakerPolicy.builder().minimumCalls(minimumCalls).failureRateThreshold(50)
        .window(Duration.ofSeconds(60)).openDuration(Duration.ofSeconds(60)).build();
  }

  private Status call() {
    try {
      stub.unaryCall(IcptFixtures.request());
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  @Test
  void breakerOpensAfterFailuresThenFailsFastSendingNothing() {
    policies.put("orders", ServicePolicy.builder().circuitBreaker(breaker(4)).build());
    service.handler = IcptFixtures.failing(Status.UNAVAILABLE.withDescription("down"));
    for (int i = 0; i < 4; i++) {
      assertThat(call().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }
    assertThat(service.calls).hasValue(4);
    assertThat(mesh.breakers().state("orders")).contains(CircuitBreaker.State.OPEN);

    for (int i = 0; i < 10; i++) {
      Status refused = call();
      assertThat(refused.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(refused.getDescription()).contains("service 'orders'").contains("circuit open")
          .contains("nothing was sent");
      assertThat(refused.getCause()).isInstanceOf(CircuitOpenException.class);
    }
    assertThat(service.calls).as("nothing sent while open").hasValue(4);
  }

  @Test
  void answersThatBlameTheRequestAndCallerCancellationsDoNotOpenTheBreaker() throws Exception {
    policies.put("orders", ServicePolicy.builder().circuitBreaker(breaker(2)).build());
    service.handler = IcptFixtures.failing(Status.INVALID_ARGUMENT.withDescription("bad request"));
    for (int i = 0; i < 5; i++) {
      assertThat(call().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
    assertThat(mesh.breakers().state("orders")).contains(CircuitBreaker.State.CLOSED);
    assertThat(mesh.breakers().get("orders").orElseThrow().circuitBreaker().getMetrics().getNumberOfFailedCalls())
        .isZero();

    // Calls the caller cancels while the server holds them are neither failures nor successes.
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch arrived = new CountDownLatch(3);
    service.handler = (req, resp) -> {
      arrived.countDown();
      release.await(10, TimeUnit.SECONDS);
    };
    int before = mesh.breakers().get("orders").orElseThrow().circuitBreaker().getMetrics().getNumberOfBufferedCalls();
    List<ClientCall<SimpleRequest, SimpleResponse>> calls = new ArrayList<>();
    List<CompletableFuture<Status>> closed = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ClientCall<SimpleRequest, SimpleResponse> c =
          channel.newCall(TestServiceGrpc.getUnaryCallMethod(), io.grpc.CallOptions.DEFAULT);
      CompletableFuture<Status> done = new CompletableFuture<>();
      c.start(new ClientCall.Listener<>() {
        @Override
        public void onClose(Status status, Metadata trailers) {
          done.complete(status);
        }
      }, new Metadata());
      c.request(1);
      c.sendMessage(IcptFixtures.request());
      c.halfClose();
      calls.add(c);
      closed.add(done);
    }
    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
    calls.forEach(c -> c.cancel("caller gave up", null));
    for (CompletableFuture<Status> done : closed) {
      assertThat(done.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
    }
    release.countDown();
    CircuitBreaker.Metrics m = mesh.breakers().get("orders").orElseThrow().circuitBreaker().getMetrics();
    assertThat(m.getNumberOfBufferedCalls()).isEqualTo(before);
    assertThat(mesh.breakers().state("orders")).contains(CircuitBreaker.State.CLOSED);
  }

  @Test
  void concurrencyLimitRefusesWithResourceExhaustedAndSendsNothing() throws Exception {
    policies.put("orders", ServicePolicy.builder().limits(LimitPolicy.concurrency(2, Duration.ZERO)).build());
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch arrived = new CountDownLatch(2);
    service.handler = (req, resp) -> {
      arrived.countDown();
      release.await(10, TimeUnit.SECONDS);
      IcptFixtures.ok("orders").handle(req, resp);
    };
    TestServiceGrpc.TestServiceFutureStub futures = TestServiceGrpc.newFutureStub(channel);
    var first = futures.unaryCall(IcptFixtures.request());
    var second = futures.unaryCall(IcptFixtures.request());
    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();

    Status refused = call();
    assertThat(refused.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.getDescription()).contains("service 'orders'").contains("concurrency limit")
        .contains("nothing was sent");
    assertThat(refused.getCause()).isInstanceOf(LimitExceededException.class);
    assertThat(service.calls).hasValue(2);

    release.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS).getUsername()).isEqualTo("orders");
    assertThat(second.get(10, TimeUnit.SECONDS).getUsername()).isEqualTo("orders");
    assertThat(limiter().inFlight()).isZero();
    assertThat(call().isOk()).isTrue();
  }

  /** As on HTTP (LimitIT): a wait for room ends at the call's deadline, not at the longer maxWait. */
  @Test
  void aWaitForRoomEndsAtTheDeadlineNotAtMaxWait() throws Exception {
    policies.put("orders", ServicePolicy.builder().limits(LimitPolicy.concurrency(1, Duration.ofSeconds(30))).build());
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch arrived = new CountDownLatch(1);
    service.handler = (req, resp) -> {
      arrived.countDown();
      release.await(60, TimeUnit.SECONDS);
      IcptFixtures.ok("orders").handle(req, resp);
    };
    var first = TestServiceGrpc.newFutureStub(channel).unaryCall(IcptFixtures.request());
    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
    try {
      long start = System.nanoTime();
      StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
          () -> stub.withDeadlineAfter(300, TimeUnit.MILLISECONDS).unaryCall(IcptFixtures.request()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      assertThat(e.getStatus().getDescription()).contains("service 'orders'")
          .contains("for room under the concurrency limit").contains("nothing was sent");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6)); // not 30 s
      assertThat(service.calls).hasValue(1);
    } finally {
      release.countDown();
    }
    assertThat(first.get(10, TimeUnit.SECONDS).getUsername()).isEqualTo("orders");
    assertThat(limiter().inFlight()).isZero();
  }

  @Test
  void permitsAreReleasedExactlyOnceUnderConcurrencyWithFailuresAndCancellations() throws Exception {
    int limit = 4;
    policies.put("orders", ServicePolicy.builder()
        .limits(LimitPolicy.concurrency(limit, Duration.ofSeconds(10)))
        .circuitBreaker(CircuitBreakerPolicy.builder().enabled(false).build())
        .build());
    AtomicInteger inServer = new AtomicInteger();
    AtomicInteger maxInServer = new AtomicInteger();
    Semaphore slow = new Semaphore(0);
    AtomicInteger cancelled = new AtomicInteger();
    service.handler = (req, resp) -> {
      int now = inServer.incrementAndGet();
      maxInServer.accumulateAndGet(now, Math::max);
      try {
        int n = service.calls.get();
        if (n % 5 == 0) {
          resp.onError(Status.INTERNAL.withDescription("boom").asRuntimeException());
        } else if (n % 7 == 0) {
          slow.tryAcquire(10, TimeUnit.SECONDS); // held until the caller cancels (below)
          resp.onError(Status.CANCELLED.asRuntimeException());
        } else {
          IcptFixtures.ok("orders").handle(req, resp);
        }
      } finally {
        inServer.decrementAndGet();
      }
    };
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> tasks = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        tasks.add(pool.submit(() -> {
          for (int i = 0; i < 25; i++) {
            io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
            try {
              ctx.run(() -> {
                var f = TestServiceGrpc.newFutureStub(channel).unaryCall(IcptFixtures.request());
                try {
                  f.get(200, TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                  ctx.cancel(e); // the caller gives up: the call is cancelled
                  cancelled.incrementAndGet();
                  slow.release();
                }
              });
            } finally {
              ctx.cancel(null);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : tasks) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      slow.release(1000);
      pool.shutdownNow();
    }
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(limiter().inFlight()).isZero());
    assertThat(maxInServer.get()).isLessThanOrEqualTo(limit);
    assertThat(service.calls.get()).isGreaterThan(limit);
    assertThat(cancelled.get()).as("the cancellation path was exercised").isPositive();
    // Every slot came back: the limit can still be filled to the brim.
    assertThat(limiter().limit()).isEqualTo(limit);
  }

  @Test
  void aCallRefusedByTheBreakerGivesItsLimitSlotBack() {
    policies.put("orders", ServicePolicy.builder()
        .limits(LimitPolicy.concurrency(1, Duration.ZERO))
        .circuitBreaker(breaker(2))
        .build());
    service.handler = IcptFixtures.failing(Status.INTERNAL);
    assertThat(call().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(call().getCode()).isEqualTo(Status.Code.INTERNAL);
    for (int i = 0; i < 5; i++) {
      Status s = call();
      assertThat(s.getCode()).as("the breaker refuses, never the limit of 1").isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(s.getDescription()).contains("circuit open");
    }
    assertThat(limiter().inFlight()).isZero();
    assertThat(service.calls).hasValue(2);
  }

  @Test
  void rateLimitRefusesBeyondTheBurst() {
    policies.put("orders", ServicePolicy.builder().limits(LimitPolicy.rate(0.01, Duration.ZERO)).build());
    assertThat(call().isOk()).isTrue();
    Status refused = call();
    assertThat(refused.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.getDescription()).contains("rate limit");
    assertThat(service.calls).hasValue(1);
    assertThatThrownBy(() -> stub.unaryCall(IcptFixtures.request())).isInstanceOf(StatusRuntimeException.class);
  }

  private ConcurrencyLimiter limiter() {
    return mesh.limiters().get("orders").orElseThrow().concurrencyLimit();
  }
}

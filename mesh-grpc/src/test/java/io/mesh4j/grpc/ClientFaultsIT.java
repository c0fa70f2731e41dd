package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.Messages.SimpleResponse;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.policy.CircuitBreakerPolicy;
import io.mesh4j.policy.FaultPolicy;
import io.mesh4j.policy.LimitPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Fault injection by {@link MeshClientInterceptor}: per call, seeded, never holding the caller's thread. */
class ClientFaultsIT {
  private static final CircuitBreakerPolicy NO_BREAKER = CircuitBreakerPolicy.builder().enabled(false).build();

  private final IcptFixtures.CountingService service = new IcptFixtures.CountingService(IcptFixtures.ok("orders"));
  private final List<Mesh> meshes = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private Server server;

  @BeforeEach
  void start() throws Exception {
    server = IcptFixtures.server(service);
  }

  @AfterEach
  void stop() throws Exception {
    for (ManagedChannel c : channels) {
      IcptFixtures.shutdown(c);
    }
    IcptFixtures.shutdown(server);
    meshes.forEach(Mesh::close);
  }

  private Mesh mesh(ServicePolicy policy, long seed) {
    StaticPolicySource policies = StaticPolicySource.create();
    policies.put("orders", policy);
    Mesh mesh = Mesh.builder().policies(policies).random(RandomSource.seeded(seed))
        .openTelemetry(OpenTelemetry.noop()).build();
    meshes.add(mesh);
    return mesh;
  }

  private ManagedChannel channel(Mesh mesh) {
    ManagedChannel c = IcptFixtures.channel(server, new MeshClientInterceptor(mesh, "orders"));
    channels.add(c);
    return c;
  }

  /** Per call: the status, or OK. Aborted calls carry the mesh-fault trailer. */
  private static List<String> run(ManagedChannel channel, int n) {
    TestServiceGrpc.TestServiceBlockingStub stub = TestServiceGrpc.newBlockingStub(channel);
    List<String> outcomes = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      try {
        stub.unaryCall(IcptFixtures.request());
        outcomes.add("OK");
      } catch (StatusRuntimeException e) {
        assertThat(e.getTrailers().get(ClientFaults.FAULT_TRAILER)).isEqualTo("abort");
        outcomes.add(e.getStatus().getCode().name());
      }
    }
    return outcomes;
  }

  @Test
  void abortPercentageHoldsWithinToleranceAndASeedReplaysExactly() {
    int n = 400;
    ServicePolicy policy = ServicePolicy.builder().faults(FaultPolicy.abort(25, 503)).circuitBreaker(NO_BREAKER).build();
    List<String> first = run(channel(mesh(policy, 7)), n);
    long aborted = first.stream().filter(s -> s.equals("UNAVAILABLE")).count();
    // 25% of 400 = 100, standard deviation ~8.7: +-4 sd.
    assertThat(aborted).isBetween(65L, 135L);
    assertThat(first).containsOnly("OK", "UNAVAILABLE");
    assertThat(service.calls.get()).as("aborted calls were never sent").isEqualTo(n - (int) aborted);

    List<String> replay = run(channel(mesh(policy, 7)), n);
    assertThat(replay).as("same seed, same faults").isEqualTo(first);
  }

  @Test
  void abortStatusIsMappedFromTheHttpStatus() {
    for (int http : new int[] {503, 504, 429, 500, 404}) {
      ServicePolicy policy = ServicePolicy.builder().faults(FaultPolicy.abort(100, http)).circuitBreaker(NO_BREAKER)
          .build();
      try {
        TestServiceGrpc.newBlockingStub(channel(mesh(policy, 1))).unaryCall(IcptFixtures.request());
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(ClientFaults.codeFor(http));
        assertThat(e.getStatus().getDescription()).contains("service 'orders'").contains("fault injected")
            .contains(Integer.toString(http));
        continue;
      }
      throw new AssertionError("not aborted: " + http);
    }
    assertThat(service.calls).hasValue(0);
  }

  @Test
  void injectedAbortsCountForTheBreakerLikeAnswers() {
    ServicePolicy policy = ServicePolicy.builder().faults(FaultPolicy.abort(100, 503))
        .circuitBreaker(CircuitBreakerPolicy.builder().minimumCalls(3).window(Duration.ofSeconds(60))
            .openDuration(Duration.ofSeconds(60)).build())
        .build();
    Mesh mesh = mesh(policy, 3);
    ManagedChannel channel = channel(mesh);
    TestServiceGrpc.TestServiceBlockingStub stub = TestServiceGrpc.newBlockingStub(channel);
    List<String> descriptions = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      try {
        stub.unaryCall(IcptFixtures.request());
      } catch (StatusRuntimeException e) {
        descriptions.add(e.getStatus().getDescription());
      }
    }
    assertThat(descriptions).hasSize(5);
    assertThat(descriptions.subList(0, 3)).allMatch(d -> d.contains("fault injected"));
    assertThat(descriptions.subList(3, 5)).allMatch(d -> d.contains("circuit open"));
  }

  @Test
  void delayPostponesTheCallWithoutHoldingTheCallersThread() throws Exception {
    ServicePolicy policy = ServicePolicy.builder().faults(FaultPolicy.delay(100, Duration.ofMillis(300)))
        .circuitBreaker(NO_BREAKER).build();
    ManagedChannel channel = channel(mesh(policy, 1));
    // Warm the connection so that the measured time is the delay's.
    TestServiceGrpc.newBlockingStub(IcptFixtures.channel(server)).unaryCall(IcptFixtures.request());
    int before = service.calls.get();

    long start = System.nanoTime();
    var future = TestServiceGrpc.newFutureStub(channel).unaryCall(IcptFixtures.request());
    long returnedAfterMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(service.calls.get()).as("nothing is sent during the delay").isEqualTo(before);
    assertThat(future.get(10, TimeUnit.SECONDS).getUsername()).isEqualTo("orders");
    long totalMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(totalMs).isGreaterThanOrEqualTo(300);
    assertThat(returnedAfterMs).as("the caller's thread is not held for the delay").isLessThan(totalMs);
    assertThat(service.calls.get()).isEqualTo(before + 1);

    // A blocking stub sees the same delay.
    start = System.nanoTime();
    TestServiceGrpc.newBlockingStub(channel).unaryCall(IcptFixtures.request());
    assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(300);
  }

  @Test
  void aDelayNeverOutlastsTheDeadline() {
    ServicePolicy policy = ServicePolicy.builder().faults(FaultPolicy.delay(100, Duration.ofSeconds(30)))
        .circuitBreaker(NO_BREAKER).build();
    ManagedChannel channel = channel(mesh(policy, 1));
    long start = System.nanoTime();
    try {
      TestServiceGrpc.newBlockingStub(channel).withDeadlineAfter(200, TimeUnit.MILLISECONDS)
          .unaryCall(IcptFixtures.request());
      throw new AssertionError("expected DEADLINE_EXCEEDED");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    }
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
    assertThat(service.calls).hasValue(0);
  }

  @Test
  void cancellingADelayedCallClosesItAndReleasesItsSlot() throws Exception {
    ServicePolicy policy = ServicePolicy.builder().faults(FaultPolicy.delay(100, Duration.ofSeconds(30)))
        .limits(LimitPolicy.concurrency(1, Duration.ZERO)).circuitBreaker(NO_BREAKER).build();
    Mesh mesh = mesh(policy, 1);
    ManagedChannel channel = channel(mesh);
    ClientCall<SimpleRequest, SimpleResponse> call = channel.newCall(TestServiceGrpc.getUnaryCallMethod(),
        CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage(IcptFixtures.request()); // buffered until the delay ends
    call.halfClose();
    assertThat(mesh.limiters().get("orders").orElseThrow().concurrencyLimit().inFlight()).isEqualTo(1);
    call.cancel("changed my mind", null);
    Status status = closed.get(5, TimeUnit.SECONDS);
    assertThat(status.getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(status.getDescription()).isEqualTo("changed my mind");
    assertThat(mesh.limiters().get("orders").orElseThrow().concurrencyLimit().inFlight()).isZero();
    assertThat(service.calls).hasValue(0);
  }
}

package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.Messages.SimpleResponse;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.api.OpenTelemetry;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * One call, one policy revision ({@link io.mesh4j.CallPlan}), on gRPC: a policy pushed while a call is
 * in flight applies to the calls made after it, never to that call's retry. mesh-http's CallPlanIT runs
 * the same on HTTP.
 */
class CallPlanIT {
  private static final String RETRY = """
      { "retries": { "maxAttempts": 2, "retryOn": [503], "backoff": { "base": "1ms", "cap": "2ms" },
                     "budget": { "percent": 100, "minPerSecond": 100 } } }""";
  /** The same retries, and every attempt aborted (injected per attempt by the mesh's picker). */
  private static final String ABORT_ALL = """
      { "retries": { "maxAttempts": 2, "retryOn": [503], "backoff": { "base": "1ms", "cap": "2ms" },
                     "budget": { "percent": 100, "minPerSecond": 100 } },
        "faults": { "abort": { "percent": 100, "status": 503 } } }""";

  @Test
  void aPolicyPushedDuringACallDoesNotChangeTheRestOfThatCall() throws Exception {
    StaticPolicySource policies = StaticPolicySource.create();
    policies.putJson("pay", RETRY);
    AtomicInteger served = new AtomicInteger();
    // The first call pushes a policy that aborts every attempt, then fails UNAVAILABLE (retried by the
    // service config); later calls succeed.
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new TestServiceGrpc.TestServiceImplBase() {
          @Override
          public void unaryCall(SimpleRequest request, StreamObserver<SimpleResponse> out) {
            if (served.incrementAndGet() == 1) {
              policies.putJson("pay", ABORT_ALL);
              out.onError(Status.UNAVAILABLE.withDescription("busy").asRuntimeException());
              return;
            }
            out.onNext(SimpleResponse.getDefaultInstance());
            out.onCompleted();
          }
        }).build().start();
    try (Mesh mesh = Mesh.builder()
        .discovery(StaticDiscovery.of("pay", List.of(Endpoint.of("127.0.0.1", server.getPort()))))
        .policies(policies).random(RandomSource.seeded(5)).openTelemetry(OpenTelemetry.noop())
        .eventLog(e -> { }).build()) {
      ManagedChannel channel = MeshGrpc.channel(mesh, "pay");
      try {
        var stub = TestServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        // The retry belongs to a call planned before the push: no fault, it reaches the server.
        stub.unaryCall(SimpleRequest.getDefaultInstance());
        assertThat(served.get()).isEqualTo(2);
        assertThat(mesh.service("pay").policyRevision()).isEqualTo(2);

        // A call planned after the push gets the new policy: every attempt aborted, nothing sent.
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
            () -> TestServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .unaryCall(SimpleRequest.getDefaultInstance()));
        assertThat(e).isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(e.getStatus().getDescription()).contains("fault injected");
        assertThat(served.get()).isEqualTo(2);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}

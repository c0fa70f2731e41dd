package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.Messages.SimpleResponse;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.policy.CircuitBreakerPolicy;
import io.mesh4j.policy.LimitPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link MeshClientInterceptor} against a fake channel: what is released, and when nothing is created. */
class ClientLayersCallTest {
  private final StaticPolicySource policies = StaticPolicySource.create();
  private final AtomicInteger created = new AtomicInteger();
  private final AtomicReference<RuntimeException> startThrows = new AtomicReference<>();
  private Mesh mesh;

  /** A channel whose calls never talk to anything; start may be told to throw. */
  private final Channel fake = new Channel() {
    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
      created.incrementAndGet();
      return new ClientCall<>() {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          RuntimeException e = startThrows.get();
          if (e != null) {
            throw e;
          }
        }

        @Override
        public void request(int numMessages) {}

        @Override
        public void cancel(String message, Throwable cause) {}

        @Override
        public void halfClose() {}

        @Override
        public void sendMessage(Q message) {}
      };
    }

    @Override
    public String authority() {
      return "orders:443";
    }
  };

  @BeforeEach
  void start() {
    policies.put("orders", ServicePolicy.builder().limits(LimitPolicy.concurrency(1, Duration.ZERO))
        .circuitBreaker(CircuitBreakerPolicy.builder().minimumCalls(1).build()).build());
    mesh = Mesh.builder().policies(policies).openTelemetry(OpenTelemetry.noop()).build();
  }

  @AfterEach
  void stop() {
    mesh.close();
  }

  private ClientCall<SimpleRequest, SimpleResponse> newCall() {
    return ClientInterceptors.intercept(fake, new MeshClientInterceptor(mesh, "orders"))
        .newCall(TestServiceGrpc.getUnaryCallMethod(), CallOptions.DEFAULT);
  }

  private static final class Recorder extends ClientCall.Listener<SimpleResponse> {
    final AtomicReference<Status> closed = new AtomicReference<>();

    @Override
    public void onClose(Status status, Metadata trailers) {
      closed.set(status);
    }
  }

  private int inFlight() {
    return mesh.limiters().get("orders").map(l -> l.concurrencyLimit().inFlight()).orElse(0);
  }

  @Test
  void aStartThatThrowsReleasesTheSlotAndThePermission() {
    startThrows.set(new IllegalStateException("transport exploded"));
    assertThatThrownBy(() -> newCall().start(new Recorder(), new Metadata()))
        .isInstanceOf(IllegalStateException.class);
    assertThat(inFlight()).isZero();
    assertThat(mesh.breakers().get("orders").orElseThrow().circuitBreaker().getMetrics().getNumberOfBufferedCalls())
        .isZero();
    startThrows.set(null);
    newCall().start(new Recorder(), new Metadata()); // the slot of 1 is free again
    assertThat(inFlight()).isEqualTo(1);
  }

  @Test
  void aCallCancelledBeforeStartIsClosedWithoutCreatingAnything() {
    ClientCall<SimpleRequest, SimpleResponse> call = newCall();
    call.cancel("never mind", null);
    Recorder r = new Recorder();
    call.start(r, new Metadata());
    assertThat(r.closed.get().getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(created).hasValue(0);
    assertThat(inFlight()).isZero();
  }

  @Test
  void anExpiredMeshDeadlineCreatesNothingAndNamesTheService() {
    Recorder r = new Recorder();
    try (Scope ignored = Deadline.after(Duration.ofMillis(-1)).makeCurrent()) {
      newCall().start(r, new Metadata());
    }
    assertThat(r.closed.get().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(r.closed.get().getDescription()).contains("service 'orders'").contains("inherited from the caller");
    assertThat(created).hasValue(0);
    assertThat(inFlight()).isZero();
  }

  @Test
  void aLiveCallHoldsItsSlotUntilItCloses() {
    ClientCall<SimpleRequest, SimpleResponse> call = newCall();
    call.start(new Recorder(), new Metadata());
    assertThat(inFlight()).isEqualTo(1);
    // The fake never closes: the slot is held until the real call reports its close.
    Recorder second = new Recorder();
    newCall().start(second, new Metadata());
    assertThat(second.closed.get().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(inFlight()).isEqualTo(1);
  }

  @Test
  void authoritiesAreParsed() {
    assertThat(MeshClientInterceptor.Authority.parse("orders:443").host).isEqualTo("orders");
    assertThat(MeshClientInterceptor.Authority.parse("orders:443").port).isEqualTo(443);
    assertThat(MeshClientInterceptor.Authority.parse("orders").port).isEqualTo(-1);
    assertThat(MeshClientInterceptor.Authority.parse("[::1]:8080").host).isEqualTo("::1");
    assertThat(MeshClientInterceptor.Authority.parse("[::1]:8080").port).isEqualTo(8080);
  }
}

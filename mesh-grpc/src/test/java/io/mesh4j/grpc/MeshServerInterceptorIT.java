package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.integration.Messages.Payload;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.Messages.SimpleResponse;
import io.grpc.testing.integration.Messages.StreamingInputCallRequest;
import io.grpc.testing.integration.Messages.StreamingInputCallResponse;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.policy.FaultPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link MeshServerInterceptor}: the caller's context in every callback, and the server span's end. */
class MeshServerInterceptorIT {
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final StaticPolicySource policies = StaticPolicySource.create();
  /** What each callback saw: "span-id|has-deadline". */
  private final Queue<String> seenInCallbacks = new ConcurrentLinkedQueue<>();
  /** Contexts current on the gRPC thread right after each callback returned. */
  private final Queue<Context> afterCallbacks = new ConcurrentLinkedQueue<>();
  private final Queue<Integer> sizesReceived = new ConcurrentLinkedQueue<>();
  private volatile CountDownLatch unaryEntered = new CountDownLatch(1);
  private OpenTelemetrySdk otel;
  private Mesh mesh;
  private Server server;
  private ManagedChannel channel;

  private final TestServiceGrpc.TestServiceImplBase service = new TestServiceGrpc.TestServiceImplBase() {
    @Override
    public StreamObserver<StreamingInputCallRequest> streamingInputCall(
        StreamObserver<StreamingInputCallResponse> response) {
      record();
      return new StreamObserver<>() {
        int total;

        @Override
        public void onNext(StreamingInputCallRequest value) {
          record();
          sizesReceived.add(value.getPayload().getBody().size());
          total += value.getPayload().getBody().size();
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          record();
          response.onNext(StreamingInputCallResponse.newBuilder().setAggregatedPayloadSize(total).build());
          response.onCompleted();
        }
      };
    }

    @Override
    public void unaryCall(SimpleRequest request, StreamObserver<SimpleResponse> response) {
      if (request.getResponseSize() == 1) {
        throw new IllegalStateException("handler bug");
      }
      // Holds the call until its deadline cancels it.
      unaryEntered.countDown();
      io.grpc.Context call = io.grpc.Context.current();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(call::isCancelled);
    }

    private void record() {
      Deadline d = Deadline.current();
      seenInCallbacks.add(Span.current().getSpanContext().getSpanId() + "|" + (d != null));
    }
  };

  /** Outside the mesh interceptor: notes the context left current after each callback. */
  private final ServerInterceptor restoreChecker = new ServerInterceptor() {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      ServerCall.Listener<Q> inner = next.startCall(call, headers);
      afterCallbacks.add(Context.current());
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(inner) {
        @Override
        public void onMessage(Q message) {
          super.onMessage(message);
          afterCallbacks.add(Context.current());
        }

        @Override
        public void onHalfClose() {
          try {
            super.onHalfClose();
          } finally {
            afterCallbacks.add(Context.current());
          }
        }

        @Override
        public void onComplete() {
          super.onComplete();
          afterCallbacks.add(Context.current());
        }

        @Override
        public void onReady() {
          super.onReady();
          afterCallbacks.add(Context.current());
        }
      };
    }
  };

  @BeforeEach
  void start() throws Exception {
    otel = IcptFixtures.otel(spans, metrics);
    mesh = Mesh.builder().openTelemetry(otel).policies(policies).build();
    server = IcptFixtures.server(ServerInterceptors.intercept(service, new MeshServerInterceptor(mesh), restoreChecker));
    channel = IcptFixtures.channel(server, new MeshClientInterceptor(mesh, "orders"));
  }

  @AfterEach
  void stop() throws Exception {
    IcptFixtures.shutdown(channel);
    IcptFixtures.shutdown(server);
    mesh.close();
    otel.close();
  }

  private SpanData serverSpan() {
    Awaitility.await().atMost(Duration.ofSeconds(5))
        .until(() -> spans.getFinishedSpanItems().stream().anyMatch(s -> s.getKind() == SpanKind.SERVER));
    return spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
  }

  private static StreamingInputCallRequest chunk(int size) {
    return StreamingInputCallRequest.newBuilder()
        .setPayload(Payload.newBuilder().setBody(ByteString.copyFrom(new byte[size]))).build();
  }

  private int stream(int... sizes) throws Exception {
    CompletableFuture<Integer> result = new CompletableFuture<>();
    StreamObserver<StreamingInputCallRequest> requests = TestServiceGrpc.newStub(channel)
        .withDeadlineAfter(20, TimeUnit.SECONDS)
        .streamingInputCall(new StreamObserver<>() {
          @Override
          public void onNext(StreamingInputCallResponse value) {
            result.complete(value.getAggregatedPayloadSize());
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    for (int size : sizes) {
      requests.onNext(chunk(size));
    }
    requests.onCompleted();
    return result.get(20, TimeUnit.SECONDS);
  }

  @Test
  void theCallersContextIsCurrentInEveryCallbackAndRestoredAfterwards() throws Exception {
    assertThat(stream(10, 20, 30)).isEqualTo(60);
    SpanData server = serverSpan();
    String expected = server.getSpanId() + "|true";
    assertThat(seenInCallbacks).hasSize(5).containsOnly(expected); // start, 3 messages, half-close
    assertThat(afterCallbacks).isNotEmpty().allMatch(c -> c == Context.root());
    assertThat(server.getAttributes().get(AttributeKey.stringKey("rpc.method"))).isEqualTo("StreamingInputCall");
  }

  @Test
  void messagesSentDuringAnInjectedDelayAreReplayedInOrder() throws Exception {
    policies.put("orders", ServicePolicy.builder().faults(FaultPolicy.delay(100, Duration.ofMillis(200))).build());
    assertThat(stream(1, 2, 3, 4, 5)).isEqualTo(15);
    assertThat(sizesReceived).containsExactly(1, 2, 3, 4, 5);
    // The response message completes the stream observer before the call closes and its span ends.
    Awaitility.await().atMost(Duration.ofSeconds(5))
        .until(() -> spans.getFinishedSpanItems().stream().anyMatch(s -> s.getKind() == SpanKind.CLIENT));
    SpanData client = spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.CLIENT)
        .findFirst().orElseThrow();
    assertThat(client.getEvents()).anyMatch(e -> e.getName().equals("mesh.fault")
        && "delay 200ms".equals(e.getAttributes().get(GrpcTelemetry.FAULT)));
  }

  @Test
  void aHandlerThatThrowsEndsTheServerSpanAsUnknown() {
    try {
      TestServiceGrpc.newBlockingStub(channel).unaryCall(SimpleRequest.newBuilder().setResponseSize(1).build());
      throw new AssertionError("expected UNKNOWN");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN);
    }
    SpanData server = serverSpan();
    assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(server.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code"))).isEqualTo(2L);
  }

  @Test
  void aCallCutOffByItsDeadlineEndsTheServerSpanAsDeadlineExceeded() throws Exception {
    try {
      TestServiceGrpc.newBlockingStub(channel).withDeadlineAfter(300, TimeUnit.MILLISECONDS)
          .unaryCall(SimpleRequest.getDefaultInstance());
      throw new AssertionError("expected DEADLINE_EXCEEDED");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    }
    assertThat(unaryEntered.await(5, TimeUnit.SECONDS)).isTrue();
    SpanData server = serverSpan();
    // The server's deadline (grpc-timeout) and the client's expire together: whichever acts first, the
    // server span ends as DEADLINE_EXCEEDED (its own deadline) or CANCELLED (the client's RST_STREAM).
    assertThat(server.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code")))
        .isIn((long) Status.Code.DEADLINE_EXCEEDED.value(), (long) Status.Code.CANCELLED.value());
    List<SpanData> clients = spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.CLIENT).toList();
    assertThat(clients).hasSize(1);
    assertThat(clients.get(0).getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code")))
        .isEqualTo((long) Status.Code.DEADLINE_EXCEEDED.value());
  }
}

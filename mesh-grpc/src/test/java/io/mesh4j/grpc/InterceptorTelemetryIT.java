package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.balance.PickTrace;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Spans, metrics, propagation and the decision trace of both interceptors, with the SDK's in-memory exporters. */
class InterceptorTelemetryIT {
  private static final String FULL_METHOD = "grpc.testing.TestService/UnaryCall";

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final Map<String, String> received = new ConcurrentHashMap<>();
  private final AtomicReference<Span> spanInHandler = new AtomicReference<>();
  private final AtomicReference<Deadline> deadlineInHandler = new AtomicReference<>();
  private OpenTelemetrySdk otel;
  private Mesh mesh;
  private Server server;
  private ManagedChannel channel;
  private IcptFixtures.CountingService service;

  /** Records the request headers the server receives. */
  private final ServerInterceptor recordHeaders = new ServerInterceptor() {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      for (String key : headers.keys()) {
        if (!key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
          received.put(key, headers.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER)));
        }
      }
      return next.startCall(call, headers);
    }
  };

  /**
   * Stands in for the mesh load balancer's picker (below the mesh interceptor): picks with the service's
   * balancer and tells the call's PICK_LISTENER, once per attempt.
   */
  private final AtomicReference<Consumer<PickTrace>> pickListenerSeen = new AtomicReference<>();
  private final ClientInterceptor pickerStub = new ClientInterceptor() {
    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      Consumer<PickTrace> listener = options.getOption(MeshCallOptions.PICK_LISTENER);
      pickListenerSeen.set(listener);
      if (listener != null) {
        PickTrace trace = new PickTrace();
        try {
          mesh.service("orders").pick(null, trace);
        } catch (Exception e) {
          throw new AssertionError(e);
        }
        listener.accept(trace);
      }
      return next.newCall(method, options);
    }
  };

  @BeforeEach
  void start() throws Exception {
    otel = IcptFixtures.otel(spans, metrics);
    service = new IcptFixtures.CountingService((req, resp) -> {
      spanInHandler.set(Span.current());
      deadlineInHandler.set(Deadline.current());
      IcptFixtures.ok("orders").handle(req, resp);
    });
    server = IcptFixtures.server(service, new MeshServerInterceptor(mesh()), recordHeaders);
  }

  private Mesh mesh() {
    if (mesh == null) {
      mesh = Mesh.builder().openTelemetry(otel)
          .discovery(StaticDiscovery.of("orders", List.of(Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80))))
          .build();
    }
    return mesh;
  }

  @AfterEach
  void stop() throws Exception {
    IcptFixtures.shutdown(channel);
    IcptFixtures.shutdown(server);
    mesh.close();
    otel.close();
  }

  private SpanData only(SpanKind kind) {
    List<SpanData> matching = spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == kind).toList();
    assertThat(matching).hasSize(1);
    return matching.get(0);
  }

  @Test
  void clientAndServerSpansFollowTheRpcConventionsAndShareTheTrace() {
    channel = IcptFixtures.channel(server, pickerStub, new MeshClientInterceptor(mesh, "orders"));
    Span parent = otel.getTracer("test").spanBuilder("handle-request").startSpan();
    try (Scope ignored = parent.makeCurrent()) {
      TestServiceGrpc.newBlockingStub(channel).unaryCall(IcptFixtures.request());
    } finally {
      parent.end();
    }
    Awaitility.await().atMost(Duration.ofSeconds(5))
        .until(() -> spans.getFinishedSpanItems().stream().anyMatch(s -> s.getKind() == SpanKind.SERVER));

    SpanData client = only(SpanKind.CLIENT);
    assertThat(client.getName()).isEqualTo(FULL_METHOD);
    assertThat(client.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
    assertThat(client.getAttributes().get(AttributeKey.stringKey("rpc.system"))).isEqualTo("grpc");
    assertThat(client.getAttributes().get(AttributeKey.stringKey("rpc.service"))).isEqualTo("grpc.testing.TestService");
    assertThat(client.getAttributes().get(AttributeKey.stringKey("rpc.method"))).isEqualTo("UnaryCall");
    assertThat(client.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code"))).isEqualTo(0L);
    assertThat(client.getAttributes().get(AttributeKey.stringKey("server.address"))).isEqualTo("127.0.0.1");
    assertThat(client.getAttributes().get(AttributeKey.longKey("server.port"))).isEqualTo((long) server.getPort());
    assertThat(client.getAttributes().get(MeshTelemetry.SERVICE)).isEqualTo("orders");
    assertThat(client.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

    // The decision trace: one mesh.pick event per pick, saying why.
    List<EventData> picks = client.getEvents().stream().filter(e -> e.getName().equals("mesh.pick")).toList();
    assertThat(picks).hasSize(1);
    assertThat(picks.get(0).getAttributes().get(MeshTelemetry.DECISION)).contains("chose 10.0.0.");

    // W3C trace context went out in the metadata; the server continued the trace.
    assertThat(received.get("traceparent")).contains(client.getTraceId()).contains(client.getSpanId());
    SpanData serverSpan = only(SpanKind.SERVER);
    assertThat(serverSpan.getName()).isEqualTo(FULL_METHOD);
    assertThat(serverSpan.getTraceId()).isEqualTo(client.getTraceId());
    assertThat(serverSpan.getParentSpanId()).isEqualTo(client.getSpanId());
    assertThat(serverSpan.getAttributes().get(AttributeKey.stringKey("rpc.system"))).isEqualTo("grpc");
    assertThat(serverSpan.getAttributes().get(AttributeKey.stringKey("rpc.method"))).isEqualTo("UnaryCall");
    assertThat(serverSpan.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code"))).isEqualTo(0L);
    assertThat(serverSpan.getAttributes().get(AttributeKey.stringKey("network.peer.address"))).isEqualTo("127.0.0.1");
    assertThat(spanInHandler.get().getSpanContext().getSpanId()).as("the server span is current in the handler")
        .isEqualTo(serverSpan.getSpanId());
  }

  @Test
  void failedCallsMarkTheClientSpanAsAnError() {
    service.handler = IcptFixtures.failing(Status.INTERNAL.withDescription("boom"));
    channel = IcptFixtures.channel(server, new MeshClientInterceptor(mesh, "orders"));
    try {
      TestServiceGrpc.newBlockingStub(channel).unaryCall(IcptFixtures.request());
      throw new AssertionError("expected INTERNAL");
    } catch (StatusRuntimeException expected) {
      assertThat(expected.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    }
    Awaitility.await().atMost(Duration.ofSeconds(5))
        .until(() -> spans.getFinishedSpanItems().stream().anyMatch(s -> s.getKind() == SpanKind.SERVER));
    SpanData client = only(SpanKind.CLIENT);
    assertThat(client.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(client.getStatus().getDescription()).isEqualTo("boom");
    assertThat(client.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code"))).isEqualTo(13L);
    assertThat(client.getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("INTERNAL");
    SpanData serverSpan = only(SpanKind.SERVER);
    assertThat(serverSpan.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
  }

  @Test
  void durationHistogramsUseTheRpcNamesAndMilliseconds() {
    channel = IcptFixtures.channel(server, new MeshClientInterceptor(mesh, "orders"));
    TestServiceGrpc.TestServiceBlockingStub stub = TestServiceGrpc.newBlockingStub(channel);
    for (int i = 0; i < 3; i++) {
      stub.unaryCall(IcptFixtures.request());
    }
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      Map<String, MetricData> byName = new ConcurrentHashMap<>();
      metrics.collectAllMetrics().forEach(m -> byName.put(m.getName(), m));
      MetricData client = byName.get("rpc.client.duration");
      assertThat(client).isNotNull();
      assertThat(client.getUnit()).isEqualTo("ms");
      HistogramPointData point = client.getHistogramData().getPoints().iterator().next();
      assertThat(point.getCount()).isEqualTo(3);
      assertThat(point.getAttributes().get(AttributeKey.stringKey("rpc.system"))).isEqualTo("grpc");
      assertThat(point.getAttributes().get(AttributeKey.stringKey("rpc.service"))).isEqualTo("grpc.testing.TestService");
      assertThat(point.getAttributes().get(AttributeKey.stringKey("rpc.method"))).isEqualTo("UnaryCall");
      assertThat(point.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code"))).isEqualTo(0L);
      assertThat(point.getAttributes().get(MeshTelemetry.SERVICE)).isEqualTo("orders");
      MetricData server = byName.get("rpc.server.duration");
      assertThat(server).isNotNull();
      assertThat(server.getUnit()).isEqualTo("ms");
      assertThat(server.getHistogramData().getPoints().iterator().next().getCount()).isEqualTo(3);
    });
  }

  @Test
  void theServerMakesTheGrpcDeadlineAMeshDeadline() {
    channel = IcptFixtures.channel(server, new MeshClientInterceptor(mesh, "orders"));
    TestServiceGrpc.newBlockingStub(channel).withDeadlineAfter(3, TimeUnit.SECONDS).unaryCall(IcptFixtures.request());
    assertThat(deadlineInHandler.get()).isNotNull();
    assertThat(deadlineInHandler.get().remaining()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void theCallersMeshDeadlineBecomesTheGrpcDeadline() {
    channel = IcptFixtures.channel(server, new MeshClientInterceptor(mesh, "orders"));
    try (Scope ignored = Deadline.after(Duration.ofMillis(2_000)).makeCurrent()) {
      TestServiceGrpc.newBlockingStub(channel).unaryCall(IcptFixtures.request());
    }
    assertThat(received.get("grpc-timeout")).as("grpc-timeout sent").isNotNull();
    assertThat(deadlineInHandler.get().remaining()).isPositive().isLessThanOrEqualTo(Duration.ofMillis(2_000));

    // An earlier CallOptions deadline still wins over a later mesh deadline.
    try (Scope ignored = Deadline.after(Duration.ofSeconds(60)).makeCurrent()) {
      TestServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.SECONDS).unaryCall(IcptFixtures.request());
    }
    assertThat(deadlineInHandler.get().remaining()).isLessThanOrEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void withoutATracingSdkNoPickListenerIsSetAndNothingIsInjected() throws Exception {
    Mesh quiet = Mesh.builder().openTelemetry(OpenTelemetry.noop()).build();
    try {
      channel = IcptFixtures.channel(server, pickerStub, new MeshClientInterceptor(quiet, "orders"));
      try (Scope ignored = Context.root().makeCurrent()) {
        TestServiceGrpc.newBlockingStub(channel).unaryCall(IcptFixtures.request());
      }
      assertThat(pickListenerSeen.get()).isNull();
      assertThat(received).doesNotContainKey("traceparent");
    } finally {
      quiet.close();
    }
  }
}

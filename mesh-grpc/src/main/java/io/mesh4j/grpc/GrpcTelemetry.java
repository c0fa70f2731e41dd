package io.mesh4j.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.util.List;

/**
 * The RPC semantic-convention names (attributes and the {@code rpc.client.duration} /
 * {@code rpc.server.duration} histograms, milliseconds) the interceptors record with. Instruments are
 * created from the mesh's meter; with no SDK installed they are no-ops and the interceptors build no
 * attributes at all ({@link MeshTelemetry#metricsEnabled()}, {@link MeshTelemetry#tracingEnabled()}).
 */
final class GrpcTelemetry {
  static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
  static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
  static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
  static final AttributeKey<Long> RPC_GRPC_STATUS_CODE = AttributeKey.longKey("rpc.grpc.status_code");
  static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  static final AttributeKey<String> NETWORK_PEER_ADDRESS = AttributeKey.stringKey("network.peer.address");
  static final AttributeKey<Long> NETWORK_PEER_PORT = AttributeKey.longKey("network.peer.port");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final AttributeKey<String> FAULT = AttributeKey.stringKey("mesh.fault");

  static final String GRPC = "grpc";
  static final String CLIENT_DURATION = "rpc.client.duration";
  static final String SERVER_DURATION = "rpc.server.duration";

  /** The RPC semantic conventions' advice for {@code rpc.*.duration}, milliseconds. */
  private static final List<Double> BUCKETS_MS = List.of(0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0,
      750.0, 1000.0, 2500.0, 5000.0, 7500.0, 10000.0);

  private GrpcTelemetry() {}

  static DoubleHistogram clientDuration(Meter meter) {
    return meter.histogramBuilder(CLIENT_DURATION)
        .setUnit("ms")
        .setDescription("Duration of gRPC client calls made through the mesh (the whole call, all attempts).")
        .setExplicitBucketBoundariesAdvice(BUCKETS_MS)
        .build();
  }

  static DoubleHistogram serverDuration(Meter meter) {
    return meter.histogramBuilder(SERVER_DURATION)
        .setUnit("ms")
        .setDescription("Duration of gRPC calls served, from the headers to the close.")
        .setExplicitBucketBoundariesAdvice(BUCKETS_MS)
        .build();
  }

  /** rpc.system, rpc.service and rpc.method of {@code method}. */
  static AttributesBuilder rpcAttributes(MethodDescriptor<?, ?> method) {
    AttributesBuilder b = Attributes.builder().put(RPC_SYSTEM, GRPC);
    String serviceName = method.getServiceName();
    if (serviceName != null) {
      b.put(RPC_SERVICE, serviceName);
    }
    String bare = method.getBareMethodName();
    if (bare != null) {
      b.put(RPC_METHOD, bare);
    }
    return b;
  }

  /**
   * Sets the status attributes of a finished call on its span and ends it. By the RPC semantic
   * conventions every non-OK status is an error on the client; on the server only those that say the
   * server failed (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS), not the
   * caller's mistakes (INVALID_ARGUMENT, NOT_FOUND...).
   */
  static void endSpan(Span span, Status status, boolean server) {
    span.setAttribute(RPC_GRPC_STATUS_CODE, (long) status.getCode().value());
    if (server ? isServerError(status.getCode()) : !status.isOk()) {
      span.setAttribute(ERROR_TYPE, status.getCode().name());
      String description = status.getDescription();
      span.setStatus(StatusCode.ERROR, description == null ? status.getCode().name() : description);
      if (status.getCause() != null) {
        span.recordException(status.getCause());
      }
    }
    span.end();
  }

  static boolean isServerError(Status.Code code) {
    return switch (code) {
      case UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS -> true;
      default -> false;
    };
  }

  /** Milliseconds since {@code startNanos} (System.nanoTime), as a double. */
  static double millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e6;
  }
}

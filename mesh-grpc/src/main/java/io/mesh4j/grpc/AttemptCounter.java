package io.mesh4j.grpc;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counts the retries and hedges gRPC sends for one call, as the HTTP stack counts its own. On a mesh
 * channel, retries and hedging are gRPC's (the policy is the channel's service config), and they happen
 * below the interceptors: the call sees only its first start. gRPC creates one stream, and asks every
 * stream-tracer factory of the call's {@code CallOptions} for a tracer, per attempt — also for an
 * attempt whose pick fails (an injected abort) — so this factory sees each attempt go out and end.
 *
 * <p>An attempt after the first that gRPC did not re-send transparently (a stream refused before the
 * server saw it, which gRPC does not count as an attempt either) is:
 *
 * <ul>
 *   <li>a <b>retry</b> when an attempt of the call failed since the previous attempt started: it replaces
 *       that failure. Counted in {@code mesh.client.retries} with the reason {@code status CODE} (the
 *       failed attempt's gRPC code) and a {@code mesh.retry} event on the call's span;
 *   <li>a <b>hedge</b> otherwise (gRPC's hedging sent a backup while the earlier attempts were still in
 *       flight): {@code mesh.client.hedges} and a {@code mesh.hedge} event.
 * </ul>
 *
 * The same rule as the HTTP hedger's, which counts a replacement of a failed attempt as a retry and a
 * backup as a hedge.
 *
 * <p>Thread-safety: gRPC may create and close the attempts' tracers on different threads (hedges run
 * concurrently); the state is one atomic reference.
 */
final class AttemptCounter extends ClientStreamTracer.Factory {
  private final MeshTelemetry telemetry;
  private final String service;
  private final ServiceRuntime runtime;
  /** The call's span, or null without tracing. */
  private final Span span;
  private final Attributes serviceAttributes;
  /** The status of an attempt that failed since the last attempt started; null when none did. */
  private final AtomicReference<Status.Code> failedSince = new AtomicReference<>();

  AttemptCounter(MeshTelemetry telemetry, ServiceRuntime runtime, Span span) {
    this.telemetry = telemetry;
    this.runtime = runtime;
    this.service = runtime.name();
    this.span = span;
    this.serviceAttributes = Attributes.of(MeshTelemetry.SERVICE, service);
  }

  @Override
  public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
    if (info.getPreviousAttempts() > 0 && !info.isTransparentRetry()) {
      int attempt = info.getPreviousAttempts() + 1;
      Status.Code failed = failedSince.getAndSet(null);
      if (failed != null) {
        retried(failed, attempt);
      } else {
        hedged(attempt);
      }
    }
    return new Tracer();
  }

  private void retried(Status.Code failed, int attempt) {
    String reason = "status " + failed.name();
    runtime.countRetry();
    if (telemetry.metricsEnabled()) {
      telemetry.retries().add(1, Attributes.of(MeshTelemetry.SERVICE, service, MeshTelemetry.RETRY_REASON, reason));
    }
    if (span != null && span.isRecording()) {
      span.addEvent("mesh.retry", Attributes.of(MeshTelemetry.RETRY_REASON, reason, MeshTelemetry.ATTEMPT,
          (long) attempt));
    }
  }

  private void hedged(int attempt) {
    runtime.countHedge();
    if (telemetry.metricsEnabled()) {
      telemetry.hedges().add(1, serviceAttributes);
    }
    if (span != null && span.isRecording()) {
      span.addEvent("mesh.hedge", Attributes.of(MeshTelemetry.HEDGE, (long) attempt));
    }
  }

  /** Remembers a failed attempt, so that the attempt gRPC sends next is known as its retry. */
  private final class Tracer extends ClientStreamTracer {
    @Override
    public void streamClosed(Status status) {
      if (!status.isOk() && status.getCode() != Status.Code.CANCELLED) {
        failedSince.set(status.getCode());
      }
    }
  }
}

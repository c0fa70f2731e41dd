package io.mesh4j.grpc;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.mesh4j.Outcome;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;

/**
 * Feeds one attempt (one gRPC stream on one subchannel) into its endpoint's statistics: in flight from
 * the moment the stream is created on the subchannel's transport, then latency and {@link Outcome} when
 * it closes. That is what drives peak-EWMA, least-request, outlier ejection and panic mode, shared with
 * every other client of the service in the same mesh.
 *
 * <p>gRPC creates the tracer when the stream is created and calls {@link #streamClosed} exactly once
 * for it, also when the stream fails before anything is sent; the guard below is belt and braces, so an
 * endpoint's in-flight count can never be decremented twice.
 */
final class MeshStreamTracer extends ClientStreamTracer {
  private final ServiceRuntime runtime;
  private final EndpointStats endpoint;
  private final long startNanos;
  /** The call's deadline (from its CallOptions), or null. */
  private final io.grpc.Deadline deadline;
  private boolean closed; // streamClosed runs once, on one thread

  private MeshStreamTracer(ServiceRuntime runtime, EndpointStats endpoint, io.grpc.Deadline deadline) {
    this.runtime = runtime;
    this.endpoint = endpoint;
    this.deadline = deadline;
    this.startNanos = runtime.onStart(endpoint);
  }

  @Override
  public void streamClosed(Status status) {
    if (closed) {
      return;
    }
    closed = true;
    Outcome outcome = outcome(status.getCode());
    if (outcome == Outcome.CANCELLED && deadline != null && deadline.isExpired()) {
      // With gRPC's retries on (any mesh channel), the call's deadline does not reach the attempt as
      // DEADLINE_EXCEEDED: RetriableStream commits and throws the attempt away as CANCELLED ("Stream thrown
      // away because RetriableStream committed"). The attempt was cut by the deadline, so the endpoint was
      // at least this slow: learn it, as HTTP learns from an attempt its deadline cut (TIMEOUT: no blame).
      // Without this, a 2 s-slow endpoint taught nothing from calls cut at 1 s and kept its traffic.
      outcome = Outcome.TIMEOUT;
    }
    runtime.onFinish(endpoint, startNanos, outcome);
  }

  /**
   * How an attempt's status says the endpoint did.
   *
   * <ul>
   *   <li>CANCELLED: the caller gave up; nothing is learned ({@link Outcome#CANCELLED}).
   *   <li>DEADLINE_EXCEEDED: the call's deadline cut the attempt short ({@link Outcome#TIMEOUT}): the
   *       latency is recorded, so the balancer steers away from a slow endpoint, but it does not count
   *       toward ejection — gRPC has no per-attempt timeout, so this deadline is the caller's, and a
   *       short caller deadline says nothing about the endpoint's health (as for HTTP).
   *   <li>UNAVAILABLE, INTERNAL, UNKNOWN, RESOURCE_EXHAUSTED: the endpoint or its connection failed
   *       ({@link Outcome#FAILURE}, counts toward ejection), like HTTP 5xx and connection errors.
   *   <li>everything else (OK, INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, …): the application's
   *       answer from a healthy endpoint ({@link Outcome#SUCCESS}), like HTTP 4xx.
   * </ul>
   */
  static Outcome outcome(Status.Code code) {
    return io.mesh4j.AnswerClass.ofGrpc(code.value()).endpointOutcome();
  }

  /** Makes the tracer of each attempt on one endpoint; one per endpoint per picker, shared by picks. */
  static final class Factory extends ClientStreamTracer.Factory {
    private final ServiceRuntime runtime;
    private final EndpointStats endpoint;

    Factory(ServiceRuntime runtime, EndpointStats endpoint) {
      this.runtime = runtime;
      this.endpoint = endpoint;
    }

    @Override
    public ClientStreamTracer newClientStreamTracer(StreamInfo info, Metadata headers) {
      return new MeshStreamTracer(runtime, endpoint, info.getCallOptions().getDeadline());
    }
  }
}

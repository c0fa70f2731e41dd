package io.mesh4j.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import io.mesh4j.Mesh;
import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.context.Context;
import java.util.Objects;

/**
 * The mesh's client-side layers for calls to one service that gRPC itself lacks: tracing and the
 * {@code rpc.client.duration} metric, the deadline inherited from the mesh context, the service's
 * client-side limits and circuit breaker, and fault injection. Discovery, balancing, timeouts from
 * the policy, retries and hedging are gRPC's own, configured by the mesh's name resolver, load
 * balancer and service config ({@code MeshGrpc.channel(mesh, service)} installs this interceptor on
 * such a channel); on any other channel the interceptor works the same, for the service it was built
 * for.
 *
 * <pre>{@code
 * ManagedChannel channel = ManagedChannelBuilder.forTarget("orders.internal:443")
 *     .intercept(new MeshClientInterceptor(mesh, "orders"))
 *     .build();
 * }</pre>
 *
 * <h2>Layers, outermost first (DESIGN.md's request path)</h2>
 * <ol>
 *   <li><b>Tracing</b>: a CLIENT span named {@code package.Service/Method} with the RPC semantic
 *       conventions' attributes ({@code rpc.system=grpc}, {@code rpc.service}, {@code rpc.method},
 *       {@code rpc.grpc.status_code}, {@code server.address}/{@code server.port} from the channel's
 *       authority) and {@code mesh.service}; the W3C trace context (and the mesh deadline header) are
 *       injected into the outgoing {@code Metadata} with the mesh's propagator. Each pick of the mesh
 *       load balancer adds a {@code mesh.pick} event whose {@code mesh.decision} says why that endpoint
 *       was chosen (the picker is told through {@link MeshCallOptions#PICK_LISTENER}, set only for a
 *       recording span). {@code rpc.client.duration} (ms) is recorded when the call closes. Outermost
 *       so that span and histogram cover every layer, including calls the layers below refuse.</li>
 *   <li><b>Deadline</b>: the call's gRPC deadline becomes the earliest of its {@link CallOptions}
 *       deadline and the mesh {@code Deadline} of the caller's OpenTelemetry context (what is left of an
 *       inbound request's time, wherever it came from). The policy's {@code timeouts.total} is not
 *       applied here: the mesh's service config gives gRPC the same bound as its method timeout, and
 *       gRPC takes the earliest. An already-expired deadline fails the call at once with
 *       DEADLINE_EXCEEDED, sending nothing. Above the limits and the breaker, so that a call that could
 *       not be sent anyway takes no permit and says nothing about the service's health.</li>
 *   <li><b>Limits</b> ({@code mesh.limiters()}): the rate and concurrency limits, shared with every
 *       other client of the mesh for this service. Refused: RESOURCE_EXHAUSTED, nothing sent. Above the
 *       breaker so that a call waiting for room holds no breaker permission (as in the HTTP stack). The
 *       concurrency slot is held until the call closes: for a streaming call, its whole life.</li>
 *   <li><b>Circuit breaker</b> ({@code mesh.breakers()}): refused: UNAVAILABLE ("circuit open"),
 *       nothing sent. It judges logical calls: gRPC's native retries and hedges run below interceptors,
 *       so a call that succeeded on its second attempt is a success, and an open breaker is never
 *       retried around.</li>
 *   <li><b>Faults</b> (the policy's {@code faults}): an injected delay postpones the start of the call
 *       on a timer (the caller's thread is never held; messages sent meanwhile are buffered); an
 *       injected abort closes the call with the gRPC status mapped from {@code faults.abort.status}
 *       (503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, 429 RESOURCE_EXHAUSTED, 500 INTERNAL, ...; see
 *       docs/grpc-interceptors.md) without sending it. Draws use the service's
 *       {@link io.mesh4j.ServiceRuntime#random()}, so a seeded mesh replays exactly.
 *       <p><em>Aborts: per call here, per attempt on mesh channels.</em> In the HTTP stack faults sit
 *       below retries, so a retry can absorb an abort. Here gRPC's retries happen below every
 *       interceptor, where an interceptor cannot fail an attempt. So on a mesh channel
 *       ({@link MeshGrpc#interceptor}) the mesh load balancer's picker injects aborts, per attempt, and
 *       this interceptor only those whose code gRPC does not let a picker report; with the public
 *       constructor (a channel of your own) the interceptor injects them once per call, where they are
 *       seen by the breaker and the limits (as in HTTP) but not retried by gRPC's retry policy.</li>
 * </ol>
 *
 * <h2>Release and outcomes</h2>
 * Whatever was taken (limit slot, breaker permission) is given back exactly once: when the call
 * closes, when it is cancelled before it was sent, or when starting it throws. The breaker counts
 * UNAVAILABLE, INTERNAL, UNKNOWN, RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED as failures, ignores
 * CANCELLED (the caller gave up) and calls that never reached the service, and counts every other
 * status as a success (the service answered; the caller's request was at fault). The adaptive
 * concurrency limit learns UNAVAILABLE, RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED as drops (overload
 * signals), CANCELLED as nothing, everything else as success.
 *
 * <p>Calls the interceptor closes itself (refused, expired, aborted) have their listener told on the
 * call's {@link CallOptions#getExecutor() executor} when it has one (blocking stubs set one), otherwise
 * on the thread that closed them (the caller's, inside {@code start}, or the fault timer's).
 *
 * <p>Cost on the hot path: two small per-call objects and a few enters of the call's own (uncontended)
 * monitor; no global lock; no span is started and no attribute is built when no OpenTelemetry SDK is
 * installed.
 */
public final class MeshClientInterceptor implements ClientInterceptor {
  final Mesh mesh;
  final String service;
  final MeshTelemetry telemetry;
  final DoubleHistogram duration;
  /** The last channel authority seen, parsed for server.address / server.port; racy by design. */
  private volatile Authority authority;

  /**
   * Whether this interceptor injects the policy's aborts (once per call). False on mesh channels, whose
   * load balancer injects them per attempt so that gRPC's retries can absorb them.
   */
  final boolean abortsPerCall;

  /**
   * Layers for calls to {@code service} through {@code mesh}, on a channel of your own (one that does not
   * use the mesh load balancer): fault aborts are injected here, once per call. For a {@code mesh:///}
   * channel use {@link MeshGrpc#interceptor} (which {@link MeshGrpc#channelBuilder} installs).
   */
  public MeshClientInterceptor(Mesh mesh, String service) {
    this(mesh, service, true);
  }

  MeshClientInterceptor(Mesh mesh, String service, boolean abortsPerCall) {
    this.abortsPerCall = abortsPerCall;
    this.mesh = Objects.requireNonNull(mesh, "mesh");
    this.service = Objects.requireNonNull(service, "service");
    this.telemetry = mesh.telemetry();
    this.duration = GrpcTelemetry.clientDuration(telemetry.meter());
  }

  /** The logical service this interceptor's calls go to. */
  public String service() {
    return service;
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    // The caller's OpenTelemetry context (trace and mesh deadline) is the one current when the call is
    // created, as gRPC captures its own io.grpc.Context here.
    return new ClientLayersCall<>(this, method, options, next, Context.current());
  }

  /** The parsed authority of {@code next}, cached while the channel's authority stays the same. */
  Authority authority(Channel next) {
    String raw = next.authority();
    Authority a = authority;
    if (a == null || !a.raw.equals(raw)) {
      a = Authority.parse(raw);
      authority = a;
    }
    return a;
  }

  /** A channel authority split into host and port (-1 when it has none). Immutable. */
  static final class Authority {
    final String raw;
    final String host;
    final long port;

    private Authority(String raw, String host, long port) {
      this.raw = raw;
      this.host = host;
      this.port = port;
    }

    static Authority parse(String raw) {
      if (raw == null) {
        return new Authority("", null, -1);
      }
      String host = raw;
      long port = -1;
      int colon = raw.lastIndexOf(':');
      int bracket = raw.lastIndexOf(']');
      if (colon > 0 && colon > bracket) {
        try {
          port = Long.parseLong(raw.substring(colon + 1));
          host = raw.substring(0, colon);
        } catch (NumberFormatException e) {
          port = -1;
        }
      }
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      return new Authority(raw, host.isEmpty() ? null : host, port);
    }
  }

  @Override
  public String toString() {
    return "MeshClientInterceptor{" + service + "}";
  }
}

package io.mesh4j.grpc;

import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.mesh4j.Mesh;
import io.mesh4j.authz.ServerAuthorizer;
import io.mesh4j.policy.AccessRequest;
import io.mesh4j.policy.AuthorizationDecision;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The inbound side of the mesh for gRPC servers, the counterpart of the servlet filter: it puts the
 * caller's trace context and deadline where the service's own outgoing mesh calls (HTTP through
 * {@code MeshOkHttp}, gRPC through {@link MeshClientInterceptor}) find them, so every call made while
 * handling a request inherits what is left of the caller's time and continues its trace.
 *
 * <ul>
 *   <li>The OpenTelemetry context is extracted from the request {@link Metadata} with the mesh's
 *       propagator (W3C {@code traceparent}, baggage, and {@code mesh-timeout-ms} when the caller sent
 *       it).</li>
 *   <li>The call's gRPC deadline ({@code grpc-timeout}, which gRPC puts in {@code io.grpc.Context}) becomes
 *       a mesh {@link Deadline} in that context; when both are present the earlier wins.</li>
 *   <li>That context is current while gRPC runs the handler: in {@code startCall} and in every
 *       {@link ServerCall.Listener} callback ({@code onMessage}, {@code onHalfClose}, {@code onCancel},
 *       {@code onComplete}, {@code onReady}), restored afterwards. Work the handler hands to other
 *       threads must carry it ({@code Context.current().wrap(...)}).</li>
 *   <li>A SERVER span named {@code package.Service/Method} ({@code rpc.system}, {@code rpc.service},
 *       {@code rpc.method}, {@code rpc.grpc.status_code}, {@code network.peer.address}/{@code port}) and
 *       the {@code rpc.server.duration} histogram (ms), when an OpenTelemetry SDK is installed. Only
 *       statuses that mean the server failed mark the span as an error (RPC semantic conventions).</li>
 *   <li>With the service's own name ({@link #MeshServerInterceptor(Mesh, String)}), the
 *       {@code authorization} rules of that service's policy: the caller is the service named in its
 *       TLS client certificate ({@link ServerAuthorizer#callerOf}); a denied call is closed with
 *       {@code PERMISSION_DENIED} naming the rule, and the handler is never called.</li>
 *   <li>The caller's service name, when its TLS client certificate names one, in {@link #CALLER}.</li>
 * </ul>
 *
 * <pre>{@code
 * Server server = Grpc.newServerBuilderForPort(8443, creds)
 *     .addService(ServerInterceptors.intercept(new OrdersService(client), new MeshServerInterceptor(mesh)))
 *     .build().start();
 * }</pre>
 *
 * <p>It must be the interceptor closest to the transport (added last with
 * {@code ServerInterceptors.intercept}, or first with the server builder's {@code intercept}) so that
 * the other interceptors run in the caller's context too.
 */
public final class MeshServerInterceptor implements ServerInterceptor {
  static final TextMapGetter<Metadata> METADATA_GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Metadata carrier) {
      return carrier.keys();
    }

    @Override
    public String get(Metadata carrier, String key) {
      if (carrier == null || key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        return null;
      }
      return carrier.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
    }
  };

  /**
   * The caller's service name, from its verified TLS client certificate, in the {@code io.grpc.Context} of
   * the call's handler ({@code MeshServerInterceptor.CALLER.get()}); null for a caller without a mesh
   * identity (plaintext, or no client certificate).
   */
  public static final io.grpc.Context.Key<String> CALLER = io.grpc.Context.key("mesh4j-caller");

  private final Mesh mesh;
  private final MeshTelemetry telemetry;
  private final DoubleHistogram duration;
  private final ServerAuthorizer authorizer;

  /** Extracts with {@code mesh}'s propagator and records with its tracer and meter; authorizes nothing. */
  public MeshServerInterceptor(Mesh mesh) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
    this.telemetry = mesh.telemetry();
    this.duration = GrpcTelemetry.serverDuration(telemetry.meter());
    this.authorizer = null;
  }

  /**
   * As {@link #MeshServerInterceptor(Mesh)}, and decides every call by the {@code authorization} rules
   * of {@code service}'s policy (this server's own service name).
   */
  public MeshServerInterceptor(Mesh mesh, String service) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
    this.telemetry = mesh.telemetry();
    this.duration = GrpcTelemetry.serverDuration(telemetry.meter());
    this.authorizer = ServerAuthorizer.create(mesh, service);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    long startNanos = System.nanoTime();
    Context context = telemetry.propagator().extract(Context.current(), headers, METADATA_GETTER);
    io.grpc.Deadline grpcDeadline = io.grpc.Context.current().getDeadline();
    if (grpcDeadline != null) {
      Deadline fromGrpc = Deadline.afterNanos(grpcDeadline.timeRemaining(TimeUnit.NANOSECONDS), mesh.ticker());
      context = context.with(Deadline.earliest(Deadline.fromContext(context), fromGrpc));
    }
    Span span = null;
    MethodDescriptor<Q, R> method = call.getMethodDescriptor();
    if (telemetry.tracingEnabled()) {
      SpanBuilder b = telemetry.tracer().spanBuilder(method.getFullMethodName())
          .setParent(context)
          .setSpanKind(SpanKind.SERVER)
          .setAttribute(GrpcTelemetry.RPC_SYSTEM, GrpcTelemetry.GRPC);
      if (method.getServiceName() != null) {
        b.setAttribute(GrpcTelemetry.RPC_SERVICE, method.getServiceName());
      }
      if (method.getBareMethodName() != null) {
        b.setAttribute(GrpcTelemetry.RPC_METHOD, method.getBareMethodName());
      }
      SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
      if (remote instanceof InetSocketAddress inet) {
        b.setAttribute(GrpcTelemetry.NETWORK_PEER_ADDRESS, inet.getHostString());
        b.setAttribute(GrpcTelemetry.NETWORK_PEER_PORT, (long) inet.getPort());
      }
      span = b.startSpan();
      context = context.with(span);
    }
    ServerLayersCall<Q, R> wrapped = new ServerLayersCall<>(call, this, context, span, startNanos);
    ServerCall.Listener<Q> listener;
    try (Scope ignored = context.makeCurrent()) {
      String caller = ServerAuthorizer.callerOf(peerCertificates(call));
      if (authorizer != null) {
        AuthorizationDecision d = authorizer.authorize(AccessRequest.grpc(caller, method.getFullMethodName()),
            context);
        if (!d.allowed()) {
          wrapped.close(Status.PERMISSION_DENIED.withDescription(d.reason()), new Metadata());
          return new ServerCall.Listener<>() {}; // the handler never sees the call
        }
      }
      listener = caller == null ? next.startCall(wrapped, headers)
          : Contexts.interceptCall(io.grpc.Context.current().withValue(CALLER, caller), wrapped, headers, next);
    } catch (RuntimeException | Error e) {
      wrapped.finish(Status.fromThrowable(e));
      throw e;
    }
    return new ContextListener<>(listener, wrapped);
  }

  private static java.security.cert.Certificate[] peerCertificates(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return null; // plaintext: no identity
    }
    try {
      return session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return null; // TLS without a client certificate
    }
  }

  void record(MethodDescriptor<?, ?> method, Context context, Span span, long startNanos, Status status) {
    if (span != null) {
      GrpcTelemetry.endSpan(span, status, true);
    }
    if (telemetry.metricsEnabled()) {
      AttributesBuilder a = GrpcTelemetry.rpcAttributes(method)
          .put(GrpcTelemetry.RPC_GRPC_STATUS_CODE, (long) status.getCode().value());
      duration.record(GrpcTelemetry.millisSince(startNanos), a.build(), context);
    }
  }

  /** The server call, watched for its close: that is when the span ends and the duration is recorded. */
  private static final class ServerLayersCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    private static final AtomicIntegerFieldUpdater<ServerLayersCall> FINISHED =
        AtomicIntegerFieldUpdater.newUpdater(ServerLayersCall.class, "finished");

    private final MeshServerInterceptor owner;
    final Context context;
    private final Span span;
    private final long startNanos;
    private volatile int finished;

    ServerLayersCall(ServerCall<Q, R> delegate, MeshServerInterceptor owner, Context context, Span span,
        long startNanos) {
      super(delegate);
      this.owner = owner;
      this.context = context;
      this.span = span;
      this.startNanos = startNanos;
    }

    @Override
    public void close(Status status, Metadata trailers) {
      finish(status);
      super.close(status, trailers);
    }

    /** Ends the span and records the duration, once. */
    void finish(Status status) {
      if (FINISHED.compareAndSet(this, 0, 1)) {
        owner.record(getMethodDescriptor(), context, span, startNanos, status);
      }
    }
  }

  /** Makes the call's context current around every callback into the application's listener. */
  private static final class ContextListener<Q> extends ServerCall.Listener<Q> {
    private final ServerCall.Listener<Q> delegate;
    private final ServerLayersCall<Q, ?> call;
    private final Context context;

    ContextListener(ServerCall.Listener<Q> delegate, ServerLayersCall<Q, ?> call) {
      this.delegate = delegate;
      this.call = call;
      this.context = call.context;
    }

    @Override
    public void onMessage(Q message) {
      try (Scope ignored = context.makeCurrent()) {
        delegate.onMessage(message);
      } catch (RuntimeException | Error e) {
        call.finish(Status.UNKNOWN.withDescription("Application error processing RPC").withCause(e));
        throw e;
      }
    }

    @Override
    public void onHalfClose() {
      try (Scope ignored = context.makeCurrent()) {
        delegate.onHalfClose();
      } catch (RuntimeException | Error e) {
        // gRPC cancels the stream with UNKNOWN and the application never closes the call.
        call.finish(Status.UNKNOWN.withDescription("Application error processing RPC").withCause(e));
        throw e;
      }
    }

    @Override
    public void onCancel() {
      try (Scope ignored = context.makeCurrent()) {
        delegate.onCancel();
      } finally {
        // The call's io.grpc.Context says why: its deadline passed, or the client cancelled.
        Status why = Contexts.statusFromCancelled(io.grpc.Context.current());
        call.finish(why != null ? why : Status.CANCELLED.withDescription("cancelled before the server closed the call"));
      }
    }

    @Override
    public void onComplete() {
      try (Scope ignored = context.makeCurrent()) {
        delegate.onComplete();
      } finally {
        call.finish(Status.OK); // normally recorded at close already
      }
    }

    @Override
    public void onReady() {
      try (Scope ignored = context.makeCurrent()) {
        delegate.onReady();
      }
    }
  }
}

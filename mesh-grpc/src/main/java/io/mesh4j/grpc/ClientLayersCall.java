package io.mesh4j.grpc;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.mesh4j.CallPlan;
import io.mesh4j.DeadlineExceededException;
import io.mesh4j.NoEndpointsException;
import io.mesh4j.Outcome;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.PickTrace;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.breaker.CircuitOpenException;
import io.mesh4j.breaker.ServiceBreaker;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.limit.LimitExceededException;
import io.mesh4j.limit.ServiceLimiter;
import io.mesh4j.policy.FaultPolicy;
import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Consumer;

/**
 * One call through {@link MeshClientInterceptor}: runs the layers in {@link #start}, creates the real
 * call only once they let it through (so a refused call has sent nothing and holds nothing), and
 * records the outcome when it closes. Also the call's {@link MeshCallOptions#PICK_LISTENER}.
 *
 * <h2>States and concurrency</h2>
 * {@code NEW} until {@code start} decides; then {@code CLOSED} (closed here: refused, expired, aborted,
 * cancelled before sending), {@code LIVE} (the real call exists) or {@code DELAYING} (an injected
 * delay runs on the fault timer; then {@code LIVE} or {@code CLOSED}). The application calls a
 * {@code ClientCall} from one thread at a time, except {@code cancel}, which may come from anywhere,
 * and the timer ends a delay on its own thread; so state changes happen under this call's monitor
 * (uncontended in the common case). Until the real call is started and everything the application
 * sent meanwhile has been replayed into it, operations are queued under the monitor; after that a
 * volatile {@code passThrough} lets them go straight to the real call without locking.
 *
 * <p>{@link #finish} runs exactly once per started call (a CAS on {@code finished}): it releases the
 * limit slot and the breaker permission, ends the span and records the duration.
 */
final class ClientLayersCall<Q, R> extends ClientCall<Q, R> implements Consumer<PickTrace> {
  private static final int NEW = 0;
  private static final int DELAYING = 1;
  private static final int LIVE = 2;
  private static final int CLOSED = 3;

  private static final AtomicIntegerFieldUpdater<ClientLayersCall> FINISHED =
      AtomicIntegerFieldUpdater.newUpdater(ClientLayersCall.class, "finished");

  static final TextMapSetter<Metadata> METADATA_SETTER = (carrier, key, value) -> {
    if (carrier != null) {
      Metadata.Key<String> k = Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER);
      carrier.discardAll(k);
      carrier.put(k, value);
    }
  };

  private final MeshClientInterceptor owner;
  private final MethodDescriptor<Q, R> method;
  private final CallOptions options;
  private final Channel next;
  private final Context parent;

  // Written in start() before the call can be seen by another thread (timer, picker, transport).
  private Listener<R> listener;
  private Context context;
  private volatile Span span;
  private long startNanos;
  private ServiceLimiter limiter;
  private ServiceBreaker breaker;
  private long breakerStart;
  private MeshClientInterceptor.Authority authority;

  /** Guarded by this. */
  private int state = NEW;
  /** Guarded by this: operations waiting for the real call; null when none. */
  private List<Runnable> pending;
  /** Guarded by this: a cancel that arrived while start() was deciding. */
  private Status cancelledWhileNew;
  /** Set (under this) before passThrough, read after it. */
  private ClientCall<Q, R> delegate;
  private volatile boolean passThrough;
  private volatile Future<?> delayTask;
  private volatile int finished;

  ClientLayersCall(MeshClientInterceptor owner, MethodDescriptor<Q, R> method, CallOptions options, Channel next,
      Context parent) {
    this.owner = owner;
    this.method = method;
    this.options = options;
    this.next = next;
    this.parent = parent;
  }

  @Override
  public void start(Listener<R> responseListener, Metadata headers) {
    synchronized (this) {
      if (listener != null) {
        throw new IllegalStateException("already started");
      }
      listener = responseListener;
    }
    startNanos = System.nanoTime();
    MeshTelemetry telemetry = owner.telemetry;
    if (telemetry.tracingEnabled() || telemetry.metricsEnabled()) {
      authority = owner.authority(next);
    }

    // 1. Tracing.
    Context ctx = parent;
    if (telemetry.tracingEnabled()) {
      SpanBuilder b = telemetry.tracer().spanBuilder(method.getFullMethodName())
          .setParent(parent)
          .setSpanKind(SpanKind.CLIENT)
          .setAttribute(GrpcTelemetry.RPC_SYSTEM, GrpcTelemetry.GRPC)
          .setAttribute(MeshTelemetry.SERVICE, owner.service);
      if (method.getServiceName() != null) {
        b.setAttribute(GrpcTelemetry.RPC_SERVICE, method.getServiceName());
      }
      if (method.getBareMethodName() != null) {
        b.setAttribute(GrpcTelemetry.RPC_METHOD, method.getBareMethodName());
      }
      if (authority.host != null) {
        b.setAttribute(GrpcTelemetry.SERVER_ADDRESS, authority.host);
      }
      if (authority.port >= 0) {
        b.setAttribute(GrpcTelemetry.SERVER_PORT, authority.port);
      }
      Span s = b.startSpan();
      span = s;
      ctx = parent.with(s);
    }
    context = ctx;

    Status cancelled;
    synchronized (this) {
      cancelled = cancelledWhileNew;
    }
    if (cancelled != null) {
      closeHere(cancelled, false);
      return;
    }
    ServiceRuntime runtime;
    try {
      if (owner.mesh.isClosed()) {
        throw new io.mesh4j.MeshClosedException(owner.service);
      }
      runtime = owner.mesh.service(owner.service);
    } catch (IllegalStateException | io.mesh4j.MeshClosedException e) { // the mesh is closed
      closeHere(Status.UNAVAILABLE.withDescription(e.getMessage()).withCause(e), false);
      return;
    }
    // The call's one plan: route, faults and the rest from one policy revision, for every attempt.
    CallPlan plan = runtime.plan();

    // 2. Deadline: the earliest of the call's own and the mesh context's.
    CallOptions opts = options;
    io.grpc.Deadline own = earliest(opts.getDeadline(), io.grpc.Context.current().getDeadline());
    Deadline inherited = Deadline.fromContext(parent);
    long ownLeft = own == null ? Long.MAX_VALUE : own.timeRemaining(TimeUnit.NANOSECONDS);
    long inheritedLeft = inherited == null ? Long.MAX_VALUE : inherited.remainingNanos();
    if (inheritedLeft <= 0 || ownLeft <= 0) {
      boolean fromMesh = inheritedLeft <= ownLeft;
      long late = -(fromMesh ? inheritedLeft : ownLeft);
      DeadlineExceededException e = new DeadlineExceededException(owner.service, "deadline expired "
          + late / 1_000_000 + " ms before the call was sent ("
          + (fromMesh ? "inherited from the caller" : "the call's own deadline") + "); nothing was sent", false, null);
      closeHere(Status.DEADLINE_EXCEEDED.withDescription(e.getMessage()).withCause(e), false);
      return;
    }
    if (inheritedLeft < ownLeft) {
      opts = opts.withDeadline(io.grpc.Deadline.after(inheritedLeft, TimeUnit.NANOSECONDS));
    } else if (own != null && own != opts.getDeadline()) {
      opts = opts.withDeadline(own); // the io.grpc.Context's: in CallOptions the attempts' tracers see it
    }
    long deadlineLeft = Math.min(ownLeft, inheritedLeft);

    // 3. Limits.
    ServiceLimiter l = owner.mesh.limiters().forService(runtime);
    if (l != null) {
      try {
        l.acquire(deadlineLeft); // never waits past the deadline
      } catch (LimitExceededException e) {
        closeHere(Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()).withCause(e), false);
        return;
      } catch (DeadlineExceededException e) {
        closeHere(Status.DEADLINE_EXCEEDED.withDescription(e.getMessage()).withCause(e), false);
        return;
      } catch (InterruptedIOException e) {
        closeHere(Status.CANCELLED.withDescription(e.getMessage()).withCause(e), false);
        return;
      }
      limiter = l;
    }

    // 4. Circuit breaker.
    ServiceBreaker b = owner.mesh.breakers().forService(runtime);
    if (b != null) {
      try {
        breakerStart = b.acquirePermission();
      } catch (CircuitOpenException e) {
        closeHere(Status.UNAVAILABLE.withDescription(circuitOpen(e)).withCause(e), false);
        return;
      }
      breaker = b;
    }

    // Routing: decided once for the call; every attempt (gRPC's retries and hedges) picks within it.
    // gRPC calls are HTTP/2 POSTs to /<service>/<method>: path-prefix and header routes apply as to HTTP.
    if (!plan.policy().routes().isEmpty()) {
      plan = runtime.route(plan, "POST", "/" + method.getFullMethodName(), name -> MeshPicker.header(headers, name));
    }
    opts = opts.withOption(MeshCallOptions.CALL_PICKS, new CallPicks(plan));
    // gRPC's retries and hedges happen below this call: count them per attempt, as HTTP counts its own.
    // Always: the control-plane report counts them too (one small object per call; gRPC allocates far more).
    opts = opts.withStreamTracerFactory(new AttemptCounter(telemetry, runtime, span));

    // Trace context (and the mesh deadline, when the context has one) for the server.
    telemetry.propagator().inject(ctx, headers, METADATA_SETTER);
    if (span != null && span.isRecording()) {
      opts = opts.withOption(MeshCallOptions.PICK_LISTENER, this);
    }

    // 5. Faults. Aborts: here once per call on a channel of the application's own; on a mesh channel
    // the load balancer's picker injects them per attempt (below gRPC's retries, as on HTTP), except
    // those with a code gRPC does not let a picker report (it would make them INTERNAL): here too.
    FaultPolicy faults = plan.faults(); // the route's, else the service's
    boolean abortsHere = owner.abortsPerCall || (faults.abortPercent() > 0
        && !ClientFaults.pickerCanReport(ClientFaults.codeFor(faults.abortStatus())));
    if (abortsHere) {
      opts = opts.withOption(MeshCallOptions.ABORTS_INJECTED, Boolean.TRUE);
    }
    boolean delay = false;
    boolean abort = false;
    if (faults.active()) {
      RandomSource random = runtime.random();
      delay = !faults.delay().isZero() && ClientFaults.draw(faults.delayPercent(), random);
      abort = abortsHere && ClientFaults.draw(faults.abortPercent(), random);
      if (delay) {
        faultEvent("delay " + faults.delay().toMillis() + "ms");
      }
      if (abort) {
        faultEvent("abort " + faults.abortStatus());
      }
    }
    if (!delay) {
      if (abort) {
        abortHere(faults.abortStatus());
      } else {
        startDelegate(opts, headers, NEW);
      }
      return;
    }
    synchronized (this) {
      cancelled = cancelledWhileNew;
      if (cancelled == null) {
        state = DELAYING;
      }
    }
    if (cancelled != null) {
      closeHere(cancelled, false);
      return;
    }
    // A delay never outlasts the deadline: at the deadline the call starts, and gRPC fails it at once.
    long delayNanos = Math.min(faults.delay().toNanos(), deadlineLeft);
    CallOptions delayedOptions = opts;
    boolean delayedAbort = abort;
    int abortStatus = faults.abortStatus();
    io.grpc.Context grpcContext = io.grpc.Context.current();
    delayTask = ClientFaults.timer().schedule(() -> {
      // Run in the caller's io.grpc.Context: the real call inherits its deadline and cancellation.
      io.grpc.Context previous = grpcContext.attach();
      try {
        if (delayedAbort) {
          synchronized (this) {
            if (state != DELAYING) {
              return; // cancelled meanwhile
            }
            state = CLOSED;
          }
          abortClose(abortStatus);
        } else {
          startDelegate(delayedOptions, headers, DELAYING);
        }
      } finally {
        grpcContext.detach(previous);
      }
    }, delayNanos, TimeUnit.NANOSECONDS);
  }

  /** Creates and starts the real call if the call is still in state {@code expected}, then replays. */
  private void startDelegate(CallOptions opts, Metadata headers, int expected) {
    ClientCall<Q, R> call;
    try {
      call = next.newCall(method, opts);
    } catch (RuntimeException | Error e) {
      failedToStart(e, expected);
      return;
    }
    Status cancelled;
    synchronized (this) {
      cancelled = cancelledWhileNew;
      if (state != expected) {
        return; // cancelled while delaying: already closed and released
      }
      if (cancelled == null) {
        state = LIVE;
        delegate = call;
      } else {
        state = CLOSED;
      }
    }
    if (cancelled != null) {
      finishAndTell(cancelled, false, new Metadata());
      return;
    }
    try (Scope ignored = context == Context.current() ? null : context.makeCurrent()) {
      call.start(new Forwarder(), headers);
    } catch (RuntimeException | Error e) {
      synchronized (this) {
        state = CLOSED;
        passThrough = false;
      }
      failedToStart(e, expected);
      return;
    }
    drain();
  }

  /**
   * Creating or starting the real call threw: releases what the call holds. Thrown from start() it is
   * rethrown to the application; on the fault timer, the application's listener is told instead.
   */
  private void failedToStart(Throwable e, int from) {
    Status status = Status.fromThrowable(e);
    synchronized (this) {
      state = CLOSED;
    }
    if (from == DELAYING) {
      finishAndTell(status, false, new Metadata());
      return;
    }
    finish(status, false);
    if (e instanceof RuntimeException r) {
      throw r;
    }
    throw (Error) e;
  }

  /** Replays what was sent while the real call did not exist, then lets operations pass straight through. */
  private void drain() {
    for (;;) {
      List<Runnable> toRun;
      synchronized (this) {
        if (pending == null || pending.isEmpty()) {
          pending = null;
          passThrough = true;
          return;
        }
        toRun = pending;
        pending = null;
      }
      for (Runnable r : toRun) {
        r.run();
      }
    }
  }

  /** Runs {@code op} on the real call now, or queues it until it exists; drops it once closed here. */
  private void whenLive(Runnable op) {
    synchronized (this) {
      if (!passThrough) {
        if (state == CLOSED) {
          return;
        }
        if (pending == null) {
          pending = new ArrayList<>(4);
        }
        pending.add(op);
        return;
      }
    }
    op.run();
  }

  @Override
  public void request(int numMessages) {
    if (passThrough) {
      delegate.request(numMessages);
    } else {
      whenLive(() -> delegate.request(numMessages));
    }
  }

  @Override
  public void sendMessage(Q message) {
    if (passThrough) {
      delegate.sendMessage(message);
    } else {
      whenLive(() -> delegate.sendMessage(message));
    }
  }

  @Override
  public void halfClose() {
    if (passThrough) {
      delegate.halfClose();
    } else {
      whenLive(() -> delegate.halfClose());
    }
  }

  @Override
  public void setMessageCompression(boolean enabled) {
    if (passThrough) {
      delegate.setMessageCompression(enabled);
    } else {
      whenLive(() -> delegate.setMessageCompression(enabled));
    }
  }

  @Override
  public boolean isReady() {
    return passThrough && delegate.isReady();
  }

  @Override
  public Attributes getAttributes() {
    return passThrough ? delegate.getAttributes() : Attributes.EMPTY;
  }

  @Override
  public void cancel(String message, Throwable cause) {
    if (passThrough) {
      delegate.cancel(message, cause);
      return;
    }
    Status status = Status.CANCELLED.withDescription(message != null ? message : "cancelled by the caller");
    if (cause != null) {
      status = status.withCause(cause);
    }
    boolean closeNow = false;
    synchronized (this) {
      if (!passThrough) {
        switch (state) {
          case NEW -> {
            cancelledWhileNew = status; // start() closes the call at its next step
            return;
          }
          case DELAYING -> {
            state = CLOSED;
            closeNow = true;
          }
          case LIVE -> {
            if (pending == null) {
              pending = new ArrayList<>(2);
            }
            pending.add(() -> delegate.cancel(message, cause));
            return;
          }
          default -> {
            return; // closed here already
          }
        }
      }
    }
    if (closeNow) {
      Future<?> task = delayTask;
      if (task != null) {
        task.cancel(false);
      }
      finishAndTell(status, false, new Metadata());
    } else {
      delegate.cancel(message, cause); // became live meanwhile
    }
  }

  /** The picker's report of one pick: a span event on the call's span. */
  @Override
  public void accept(PickTrace trace) {
    Span s = span;
    if (s != null && s.isRecording() && trace != null) {
      s.addEvent("mesh.pick", io.opentelemetry.api.common.Attributes.of(MeshTelemetry.DECISION, trace.describe()));
    }
  }

  private void faultEvent(String what) {
    Span s = span;
    if (s != null && s.isRecording()) {
      s.addEvent("mesh.fault", io.opentelemetry.api.common.Attributes.of(GrpcTelemetry.FAULT, what));
    }
  }

  /** Closes the call from start() without sending it: refused, expired or cancelled. */
  private void closeHere(Status status, boolean counted) {
    synchronized (this) {
      state = CLOSED;
    }
    finishAndTell(status, counted, new Metadata());
  }

  /** An injected abort decided in start(): counted by the breaker and limits like an answer. */
  private void abortHere(int httpStatus) {
    Status cancelled;
    synchronized (this) {
      cancelled = cancelledWhileNew;
      state = CLOSED;
    }
    if (cancelled != null) {
      finishAndTell(cancelled, false, new Metadata());
    } else {
      abortClose(httpStatus);
    }
  }

  private void abortClose(int httpStatus) {
    Metadata trailers = new Metadata();
    trailers.put(ClientFaults.FAULT_TRAILER, "abort");
    finishAndTell(ClientFaults.abortStatus(owner.service, httpStatus), true, trailers);
  }

  /** Records the end, then tells the application's listener, on the call's executor if it has one. */
  private void finishAndTell(Status status, boolean counted, Metadata trailers) {
    if (!finish(status, counted)) {
      return;
    }
    Runnable tell = () -> {
      try (Scope ignored = context == null || context == Context.current() ? null : context.makeCurrent()) {
        listener.onClose(status, trailers);
      }
    };
    Executor executor = options.getExecutor();
    if (executor != null) {
      executor.execute(tell);
    } else {
      tell.run();
    }
  }

  /**
   * Records how the call ended, once: releases the limit slot and the breaker permission, ends the
   * span, records the duration.
   *
   * @param counted false when nothing reached the service: then the limits and the breaker learn nothing
   * @return false when the call had already finished
   */
  private boolean finish(Status status, boolean counted) {
    if (!FINISHED.compareAndSet(this, 0, 1)) {
      return false;
    }
    if (counted && reachedNothing(status)) {
      counted = false;
    }
    ServiceBreaker b = breaker;
    if (b != null) {
      b.onFinish(breakerStart, counted ? breakerOutcome(status.getCode()) : Outcome.CANCELLED);
    }
    ServiceLimiter l = limiter;
    if (l != null) {
      if (!counted || status.getCode() == Status.Code.CANCELLED) {
        l.onIgnored();
      } else if (isOverload(status.getCode())) {
        l.onDropped();
      } else {
        l.onSuccess();
      }
    }
    Span s = span;
    if (s != null) {
      GrpcTelemetry.endSpan(s, status, false);
    }
    MeshTelemetry telemetry = owner.telemetry;
    if (telemetry.metricsEnabled()) {
      AttributesBuilder a = GrpcTelemetry.rpcAttributes(method)
          .put(GrpcTelemetry.RPC_GRPC_STATUS_CODE, (long) status.getCode().value())
          .put(MeshTelemetry.SERVICE, owner.service);
      if (authority != null && authority.host != null) {
        a.put(GrpcTelemetry.SERVER_ADDRESS, authority.host);
      }
      if (authority != null && authority.port >= 0) {
        a.put(GrpcTelemetry.SERVER_PORT, authority.port);
      }
      owner.duration.record(GrpcTelemetry.millisSince(startNanos), a.build(), context);
    }
    return true;
  }

  /** Statuses produced locally that say nothing about the service (no endpoint, a breaker below). */
  private static boolean reachedNothing(Status status) {
    Throwable cause = status.getCause();
    return cause instanceof NoEndpointsException || cause instanceof CircuitOpenException
        || (cause instanceof DeadlineExceededException d && !d.wasSent());
  }

  static Outcome breakerOutcome(Status.Code code) {
    return io.mesh4j.AnswerClass.ofGrpc(code.value()).breakerOutcome();
  }

  static boolean isOverload(Status.Code code) {
    return io.mesh4j.AnswerClass.ofGrpc(code.value()).overloadSignal();
  }

  private String circuitOpen(CircuitOpenException e) {
    String detail = e.getMessage();
    String prefix = "service '" + owner.service + "': ";
    if (detail != null && detail.startsWith(prefix)) {
      detail = detail.substring(prefix.length());
    }
    return prefix + "circuit open, nothing was sent (" + detail + ")";
  }

  private static io.grpc.Deadline earliest(io.grpc.Deadline a, io.grpc.Deadline b) {
    return a == null ? b : b == null ? a : a.minimum(b);
  }

  /** The real call's listener: records the end before the application hears of it. */
  private final class Forwarder extends ClientCall.Listener<R> {
    @Override
    public void onHeaders(Metadata headers) {
      try (Scope ignored = scope()) {
        listener.onHeaders(headers);
      }
    }

    @Override
    public void onMessage(R message) {
      try (Scope ignored = scope()) {
        listener.onMessage(message);
      }
    }

    @Override
    public void onReady() {
      try (Scope ignored = scope()) {
        listener.onReady();
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      finish(status, true);
      try (Scope ignored = scope()) {
        listener.onClose(status, trailers);
      }
    }

    /** The call's context (its span) for the application's callbacks; null (no scope) without tracing. */
    private Scope scope() {
      return span == null ? null : context.makeCurrent();
    }
  }

  @Override
  public String toString() {
    return "MeshClientCall{" + owner.service + ", " + method.getFullMethodName() + "}";
  }
}

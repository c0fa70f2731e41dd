package io.mesh4j.http.internal;

import io.mesh4j.AttemptTimeoutException;
import io.mesh4j.CallPlan;
import io.mesh4j.http.MeshHeaders;
import io.mesh4j.policy.FaultPolicy;
import io.mesh4j.Mesh;
import io.mesh4j.Outcome;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.balance.PickTrace;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Layers 6 and 7 of the request path for one attempt: pick an endpoint, rewrite the URL to it, inject
 * trace context and the remaining deadline, bound the attempt by the per-attempt timeout, and feed the
 * latency and outcome back into the endpoint's statistics. When the call's span is recording, an
 * {@code mesh.attempt} event names the endpoint and why the balancer chose it (the decision trace).
 */
public final class AttemptInterceptor extends MeshLayer {
  static final AttributeKey<String> PEER_ADDRESS = AttributeKey.stringKey("network.peer.address");
  static final AttributeKey<Long> PEER_PORT = AttributeKey.longKey("network.peer.port");
  private static final TextMapSetter<Request.Builder> SETTER = (builder, key, value) -> builder.header(key, value);


  /**
   * One tag per service, or null when the client has no mutual TLS to check (then attempts are not
   * tagged: nothing is added to the plaintext path). A concurrent map read per attempt; the names are
   * the mesh's services: bounded.
   */
  private final java.util.concurrent.ConcurrentMap<String, MeshTarget> targets;

  public AttemptInterceptor(Mesh mesh) {
    this(mesh, false);
  }

  /** @param tagTargets whether to tag attempts with their service, for {@link MeshTls#peerCheck()} */
  public AttemptInterceptor(Mesh mesh, boolean tagTargets) {
    super(mesh);
    this.targets = tagTargets ? new java.util.concurrent.ConcurrentHashMap<>() : null;
  }

  @Override
  protected Response intercept(Chain chain, Request request, String service) throws IOException {
    ServiceRuntime runtime = mesh.service(service);
    // A hedged attempt runs as its own call and carries its scope as a tag; otherwise the retry layer
    // above put it in a thread-local. Null when no retry layer is installed above.
    AttemptScope tagged = request.tag(AttemptScope.class);
    AttemptScope scope = tagged != null ? tagged : AttemptScope.current();
    Context context = scope != null && scope.context != null ? scope.context : Context.current();
    int number = scope == null ? 1 : scope.number;
    // The call's plan, as routed above: faults, route and timeouts of the revision the call started under.
    CallPlan plan = scope != null && scope.plan != null ? scope.plan : CallPlans.of(runtime, request);
    FaultPolicy faults = plan.faults();
    if (faults.active()) {
      Response injected = Faults.apply(faults, runtime.random(), mesh.ticker(), chain, request, number);
      if (injected != null) {
        return injected; // aborted before an endpoint was chosen: nothing was sent
      }
    }
    // The decision trace is allocated only when a sampled span will carry it.
    PickTrace trace = Span.fromContext(context).isRecording() ? new PickTrace() : null;
    EndpointStats chosen = runtime.pick(plan.route(), scope == null ? null : scope.avoid, trace);
    if (scope != null) {
      scope.used = chosen;
      scope.neverSent = false;
    }
    try {
      return attempt(chain, request, service, runtime, plan, context, chosen, trace, number);
    } catch (IOException e) {
      if (scope != null) {
        scope.neverSent = neverSent(e);
      }
      throw e;
    }
  }

  /** Connection-level failures that happen before any byte of the request is written. */
  static boolean neverSent(IOException e) {
    return e instanceof ConnectException || e instanceof NoRouteToHostException || e instanceof UnknownHostException;
  }

  private Response attempt(Chain chain, Request request, String service, ServiceRuntime runtime, CallPlan plan,
      Context context,
      EndpointStats chosen, PickTrace trace, int attemptNumber) throws IOException {
    Span span = Span.fromContext(context);
    Endpoint endpoint = chosen.endpoint();

    HttpUrl url = rewrite(request.url(), chosen);
    Request.Builder builder = request.newBuilder().url(url);
    if (request.header("Host") == null) {
      // Keep the logical authority, as a sidecar would: the backend sees who was asked for.
      builder.header("Host", service);
    }
    mesh.telemetry().propagator().inject(context, builder, SETTER);

    builder.header(MeshHeaders.ATTEMPT, attemptNumber == 1 ? "1" : Integer.toString(attemptNumber));
    // The service the attempt is for, for the per-exchange peer check of mutual TLS (MeshTls); one
    // instance per service, so tagging allocates nothing after the first attempt.
    if (targets != null) {
      MeshTarget target = targets.get(service);
      builder.tag(MeshTarget.class, target != null ? target : targets.computeIfAbsent(service, MeshTarget::new));
    }
    Request attempt = builder.build();

    // The per-attempt timeout bounds connect, write and each read of this attempt through OkHttp's own
    // socket timeouts, so a timed-out attempt fails alone and the call can still be retried; the
    // call's deadline (layer 2) is what cancels the call as a whole.
    Duration perAttempt = plan.perAttemptTimeout();
    Deadline deadline = Deadline.fromContext(context);
    Chain attemptChain = chain;
    long attemptMillis = 0;
    if (perAttempt != null && (deadline == null || perAttempt.toNanos() < deadline.remainingNanos())) {
      attemptMillis = Math.max(1, perAttempt.toMillis());
      int ms = (int) Math.min(Integer.MAX_VALUE, attemptMillis);
      attemptChain = chain.withConnectTimeout(ms, TimeUnit.MILLISECONDS)
          .withWriteTimeout(ms, TimeUnit.MILLISECONDS)
          .withReadTimeout(ms, TimeUnit.MILLISECONDS);
    }

    long start = runtime.onStart(chosen);
    Outcome outcome = Outcome.FAILURE;
    Response response = null;
    try {
      response = attemptChain.proceed(attempt);
      outcome = io.mesh4j.AnswerClass.ofHttp(response.code()).endpointOutcome();
      return response;
    } catch (IOException e) {
      if (chain.call().isCanceled()) {
        AttemptScope scope = request.tag(AttemptScope.class);
        boolean lostHedge = scope != null && scope.lostRace;
        outcome = lostHedge || (deadline != null && deadline.isExpired()) ? Outcome.TIMEOUT : Outcome.CANCELLED;
      } else if (CallFailures.interrupted(e)) {
        outcome = Outcome.CANCELLED; // the caller's thread was interrupted: the endpoint did nothing wrong
      } else if (attemptMillis > 0 && e instanceof SocketTimeoutException) {
        throw new AttemptTimeoutException(service, "per-attempt timeout of " + attemptMillis
            + " ms (policy timeouts.perAttempt) passed waiting for " + endpoint.address(), e);
      }
      throw e;
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Exception e) { // thrown undeclared by OkHttp's Kotlin code below: an interrupt, in practice
      outcome = Outcome.CANCELLED;
      throw CallFailures.asIoException(e, service);
    } finally {
      runtime.onFinish(chosen, start, outcome);
      MeshTelemetry telemetry = mesh.telemetry();
      if (telemetry.metricsEnabled()) {
        telemetry.attempts().add(1, Attributes.of(MeshTelemetry.SERVICE, service,
            MeshTelemetry.ENDPOINT, endpoint.address(), MeshTelemetry.OUTCOME, outcome.name().toLowerCase()));
      }
      if (trace != null) {
        span.setAttribute(PEER_ADDRESS, endpoint.host());
        span.setAttribute(PEER_PORT, (long) endpoint.port());
        span.addEvent("mesh.attempt", Attributes.builder()
            .put(MeshTelemetry.ATTEMPT, (long) attemptNumber)
            .put(MeshTelemetry.ENDPOINT, endpoint.address())
            .put(MeshTelemetry.BALANCER, trace.algorithm())
            .put(MeshTelemetry.DECISION, trace.describe())
            .put(MeshTelemetry.OUTCOME, outcome.name().toLowerCase())
            .put(TracingInterceptor.STATUS, response == null ? -1L : (long) response.code())
            .build());
      }
    }
  }

  /**
   * The request's URL with the endpoint's address. Built from a per-endpoint base URL so that OkHttp
   * canonicalizes the endpoint's host once, not on every attempt (that was half of the mesh's
   * per-request allocation).
   */
  static HttpUrl rewrite(HttpUrl original, EndpointStats endpoint) {
    HttpUrl base = endpoint.attachment() instanceof HttpUrl cached && cached.scheme().equals(original.scheme())
        ? cached : null;
    if (base == null) {
      base = new HttpUrl.Builder().scheme(original.scheme()).host(endpoint.endpoint().host())
          .port(endpoint.endpoint().port()).build();
      endpoint.attach(base);
    }
    HttpUrl.Builder b = base.newBuilder().encodedPath(original.encodedPath()).encodedQuery(original.encodedQuery());
    if (original.encodedFragment() != null) {
      b.encodedFragment(original.encodedFragment());
    }
    if (!original.encodedUsername().isEmpty()) {
      b.encodedUsername(original.encodedUsername()).encodedPassword(original.encodedPassword());
    }
    return b.build();
  }


}

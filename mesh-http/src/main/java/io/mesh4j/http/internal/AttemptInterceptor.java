package io.mesh4j.http.internal;

import io.mesh4j.DeadlineExceededException;
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
import java.net.UnknownHostException;
import java.time.Duration;
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
public final class AttemptInterceptor implements Interceptor {
  static final AttributeKey<String> PEER_ADDRESS = AttributeKey.stringKey("network.peer.address");
  static final AttributeKey<Long> PEER_PORT = AttributeKey.longKey("network.peer.port");
  /** Attempts per call when endpoints refuse connections (the request was never sent). */
  static final int MAX_UNSENT_ATTEMPTS = 3;
  private static final TextMapSetter<Request.Builder> SETTER = (builder, key, value) -> builder.header(key, value);

  private final Mesh mesh;

  public AttemptInterceptor(Mesh mesh) {
    this.mesh = mesh;
  }

  /**
   * Attempts the call, moving to another endpoint when the connection could not even be opened:
   * such a request was never written, so it is safe to send elsewhere whatever its method. Everything
   * else (5xx, resets, timeouts) is left to the retry layer, which knows about idempotency and budgets.
   */
  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    String service = request.url().host();
    if (!mesh.handles(service)) {
      return chain.proceed(request);
    }
    ServiceRuntime runtime = mesh.service(service);
    Context context = Context.current();
    boolean recording = Span.fromContext(context).isRecording();
    EndpointStats avoid = null;
    for (int attempt = 1; ; attempt++) {
      // The decision trace is allocated only when a sampled span will carry it.
      PickTrace trace = recording ? new PickTrace() : null;
      EndpointStats chosen = runtime.pick(avoid, trace);
      try {
        return attempt(chain, request, service, runtime, context, chosen, trace, attempt);
      } catch (IOException e) {
        if (attempt >= MAX_UNSENT_ATTEMPTS || !neverSent(e) || chain.call().isCanceled()
            || runtime.endpoints().size() < 2) {
          throw e;
        }
        avoid = chosen;
      }
    }
  }

  /** Connection-level failures that happen before any byte of the request is written. */
  static boolean neverSent(IOException e) {
    return e instanceof ConnectException || e instanceof NoRouteToHostException || e instanceof UnknownHostException;
  }

  private Response attempt(Chain chain, Request request, String service, ServiceRuntime runtime, Context context,
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
    Request attempt = builder.build();

    Duration perAttempt = runtime.policy().timeouts().perAttempt();
    Deadline deadline = Deadline.fromContext(context);
    CallCanceller canceller = null;
    long attemptNanos = 0;
    if (perAttempt != null && (deadline == null || perAttempt.toNanos() < deadline.remainingNanos())) {
      attemptNanos = perAttempt.toNanos();
      canceller = CallCanceller.start(chain.call(), attemptNanos);
    }

    long start = runtime.onStart(chosen);
    Outcome outcome = Outcome.FAILURE;
    Response response = null;
    try {
      response = chain.proceed(attempt);
      outcome = response.code() >= 500 ? Outcome.FAILURE : Outcome.SUCCESS;
      if (canceller != null && canceller.stop()) {
        // Fired just as the headers arrived: the call is cancelled, so the body is unreadable.
        response.close();
        outcome = Outcome.FAILURE;
        throw attemptTimeout(service, endpoint, attemptNanos, null);
      }
      return response;
    } catch (IOException e) {
      if (canceller != null && canceller.stop()) {
        outcome = Outcome.FAILURE; // a per-attempt timeout is the endpoint's fault
        throw attemptTimeout(service, endpoint, attemptNanos, e);
      }
      if (chain.call().isCanceled()) {
        outcome = deadline != null && deadline.isExpired() ? Outcome.TIMEOUT : Outcome.CANCELLED;
      }
      throw e;
    } catch (RuntimeException | Error e) {
      if (canceller != null) {
        canceller.stop();
      }
      throw e;
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

  private static DeadlineExceededException attemptTimeout(String service, Endpoint endpoint, long nanos,
      Throwable cause) {
    return new DeadlineExceededException(service, "per-attempt timeout of " + nanos / 1_000_000
        + " ms (policy timeouts.perAttempt) passed waiting for " + endpoint.address(), true, cause);
  }
}

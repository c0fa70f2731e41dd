package io.mesh4j.http.internal;

import io.mesh4j.AttemptTimeoutException;
import io.mesh4j.CallPlan;
import io.mesh4j.DeadlineExceededException;
import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.http.Idempotency;
import io.mesh4j.http.MeshHeaders;
import io.mesh4j.policy.HedgePolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Layer 5: retries. Sits below the deadline (every retry and backoff must fit in it) and above the
 * attempt layer (each retry picks its endpoint afresh, avoiding the one that just failed).
 *
 * <p>What is retried (Linkerd 1's classifiers, Armeria's {@code RetryRule.failsafe()}):
 * <ul>
 *   <li>a request that was never written — connection refused or failed — whatever its method;</li>
 *   <li>for idempotent requests only (GET, HEAD, OPTIONS, PUT, DELETE, TRACE, or marked with
 *       {@link Idempotency} or an {@code Idempotency-Key} header): a status in {@code retries.retryOn},
 *       429 with {@code Retry-After}, a reset or timed-out connection, a per-attempt timeout.</li>
 * </ul>
 * Never retried: anything once the call's deadline has passed or the wait would pass it, a response
 * marked {@value MeshHeaders#NO_RETRY} by a mesh client further down, a one-shot request body.
 *
 * <p>Every retry takes a token from the service's {@code RetryBudget}; every call deposits one, and
 * every retried attempt tells the budget whether the retry cured the call (retries that mostly fail
 * pause retrying: see {@code RetryBudget}). When
 * the budget is spent, attempts are exhausted or time runs out, the response passed up is marked
 * {@value MeshHeaders#NO_RETRY} so that mesh clients upstream do not retry it again.
 */
public final class RetryInterceptor extends MeshLayer {
  static final AttributeKey<String> REASON = MeshTelemetry.RETRY_REASON;
  /** Bound on honouring Retry-After, whatever the server asks. */
  static final long MAX_RETRY_AFTER_NANOS = 60_000_000_000L;

  private final Hedger hedger;

  /**
   * @param attemptClient the client hedged attempts run on (the application's client with only the
   *                      attempt layer); null disables hedging
   */
  public RetryInterceptor(Mesh mesh, okhttp3.OkHttpClient attemptClient) {
    super(mesh);
    this.hedger = attemptClient == null ? null : new Hedger(attemptClient);
  }

  @Override
  protected Response intercept(Chain chain, Request request, String service) throws IOException {
    ServiceRuntime runtime = mesh.service(service);
    // The routing layer above opened the call's scope with its plan; without it (a partial stack), open
    // one here. Retry rules, hedging and budget all come from the plan: one policy revision per call.
    AttemptScope outer = AttemptScope.current();
    AttemptScope scope = outer != null ? outer : new AttemptScope();
    if (scope.plan == null) {
      scope.plan = CallPlans.of(runtime, request);
    }
    CallPlan plan = scope.plan;
    ServiceRuntime.Retries retries = plan.retries();
    RetryPolicy policy = plan.retryPolicy(); // an annotated client's @Retry already applied
    retries.budget().deposit();
    boolean idempotent = isIdempotent(request);
    int maxAttempts = policy.enabled() ? policy.maxAttempts() : 1;
    boolean oneShot = request.body() != null && request.body().isOneShot();
    // A one-shot body can be sent once: tracked, so that an attempt that never wrote it (connection
    // refused) can still be retried with it, as docs/policy.md promises for any method.
    WriteTrackingBody oneShotBody = null;
    if (oneShot && maxAttempts > 1) {
      oneShotBody = new WriteTrackingBody(request.body());
      request = request.newBuilder().method(request.method(), oneShotBody).build();
    }

    AttemptScope previous = outer != null ? outer : scope.enter();
    try {
      if (hedger != null && idempotent && !oneShot) { // a one-shot body cannot be sent twice
        HedgePolicy hedging = plan.hedging(); // the method's, else the route's, else the service's
        if (hedging.enabled()) {
          return hedger.call(chain, request, runtime, scope, hedging, retries, policy, new Hedger.RetryRecorder() {
            @Override
            public void record(String reason, int nextAttempt) {
              RetryInterceptor.this.record(service, reason, nextAttempt);
            }

            @Override
            public void hedged(int attempt) {
              recordHedge(service, attempt);
            }
          });
        }
      }
      for (int attempt = 1; ; attempt++) {
        scope.number = attempt;
        Response response = null;
        IOException failure = null;
        try {
          response = chain.proceed(request);
        } catch (IOException e) {
          failure = e;
        }
        String reason = response != null ? retryReason(response, idempotent, policy)
            : retryReason(failure, scope.neverSent, idempotent, chain);
        if (attempt > 1 && !chain.call().isCanceled()) {
          // Retries that keep failing pause retrying. Cured: an answer that is not to be retried, below
          // 500 and not given up on further down. A call cancelled (by its deadline or its caller) says
          // nothing either way; any other failure is a retry that failed.
          boolean cured = response != null && reason == null && response.code() < 500
              && response.header(MeshHeaders.NO_RETRY) == null;
          retries.budget().recordRetry(cured);
        }
        if (reason == null) {
          return result(response, failure, false);
        }
        if (attempt >= maxAttempts || (oneShot && (oneShotBody == null || oneShotBody.written()))) {
          // Attempts exhausted: mark, so nobody upstream retries. A client with retries off gave
          // nothing up, and leaves its callers free to retry.
          return result(response, failure, maxAttempts > 1);
        }
        long waitNanos = retries.backoff().nextNanos(attempt);
        long retryAfter = response == null ? -1 : retryAfterNanos(response);
        if (retryAfter > waitNanos) {
          waitNanos = retryAfter;
        }
        Deadline deadline = Deadline.current();
        if (deadline != null && waitNanos >= deadline.remainingNanos()) {
          return result(response, failure, true); // no retry once the deadline would pass
        }
        if (!retries.budget().tryWithdraw()) {
          return result(response, failure, true); // budget spent
        }
        if (response != null) {
          response.close(); // the discarded answer's connection goes back to the pool
        }
        record(service, reason, attempt + 1);
        Waits.pause(waitNanos, chain, "retry backoff", mesh.ticker());
        scope.avoid = scope.used; // the next attempt goes elsewhere when it can
      }
    } finally {
      AttemptScope.restore(previous);
    }
  }

  private static Response result(Response response, IOException failure, boolean gaveUp) throws IOException {
    if (failure != null) {
      throw failure;
    }
    if (gaveUp && response.header(MeshHeaders.NO_RETRY) == null) {
      return response.newBuilder().header(MeshHeaders.NO_RETRY, "1").build();
    }
    return response;
  }

  /** Why this response should be retried, or null. */
  static String retryReason(Response response, boolean idempotent, RetryPolicy policy) {
    int code = response.code();
    if (code < 400 || !idempotent || response.header(MeshHeaders.NO_RETRY) != null) {
      return null;
    }
    if (policy.retriesStatus(code)) {
      return "status " + code;
    }
    if (code == 429 && response.header("Retry-After") != null) {
      return "status 429 with Retry-After";
    }
    return null;
  }

  /** Why this failure should be retried, or null. */
  static String retryReason(IOException e, boolean neverSent, boolean idempotent, Chain chain) {
    if (chain.call().isCanceled() || (e instanceof DeadlineExceededException && !(e instanceof AttemptTimeoutException))) {
      return null; // the call's deadline or the caller ended it
    }
    if (neverSent) {
      return "connection failed before sending";
    }
    if (!idempotent) {
      return null;
    }
    if (e instanceof AttemptTimeoutException) {
      return "per-attempt timeout";
    }
    if (e instanceof SocketTimeoutException) {
      return "socket timeout";
    }
    // StreamResetException is OkHttp-internal: matched by name rather than imported.
    if (e instanceof SocketException || "StreamResetException".equals(e.getClass().getSimpleName())
        || e instanceof java.io.EOFException || String.valueOf(e.getMessage()).contains("unexpected end of stream")) {
      return "connection reset";
    }
    return null;
  }

  /** GET, HEAD, OPTIONS, PUT, DELETE, TRACE, or explicitly marked idempotent. */
  static boolean isIdempotent(Request request) {
    switch (request.method()) {
      case "GET":
      case "HEAD":
      case "OPTIONS":
      case "PUT":
      case "DELETE":
      case "TRACE":
        return true;
      default:
        return request.tag(Idempotency.class) != null || request.header(MeshHeaders.IDEMPOTENCY_KEY) != null;
    }
  }

  /**
   * The wait a 429 or 503 asks for in {@code Retry-After} (seconds or an HTTP date), capped at one
   * minute; -1 when absent or unreadable.
   */
  static long retryAfterNanos(Response response) {
    if (response.code() != 429 && response.code() != 503) {
      return -1;
    }
    String value = response.header("Retry-After");
    if (value == null) {
      return -1;
    }
    value = value.trim();
    try {
      long seconds = Long.parseLong(value);
      return seconds < 0 ? -1 : Math.min(MAX_RETRY_AFTER_NANOS, seconds * 1_000_000_000L);
    } catch (NumberFormatException notSeconds) {
      try {
        long millis = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli()
            - System.currentTimeMillis();
        return Math.max(0, Math.min(MAX_RETRY_AFTER_NANOS, millis * 1_000_000L));
      } catch (DateTimeParseException notADate) {
        return -1;
      }
    }
  }



  private void recordHedge(String service, int attempt) {
    mesh.service(service).countHedge();
    MeshTelemetry telemetry = mesh.telemetry();
    if (telemetry.metricsEnabled()) {
      telemetry.hedges().add(1, Attributes.of(MeshTelemetry.SERVICE, service));
    }
    Span span = Span.current();
    if (span.isRecording()) {
      span.addEvent("mesh.hedge", Attributes.of(MeshTelemetry.HEDGE, (long) attempt));
    }
  }

  private void record(String service, String reason, int nextAttempt) {
    mesh.service(service).countRetry();
    MeshTelemetry telemetry = mesh.telemetry();
    if (telemetry.metricsEnabled()) {
      telemetry.retries().add(1, Attributes.of(MeshTelemetry.SERVICE, service, REASON, reason));
    }
    Span span = Span.current();
    if (span.isRecording()) {
      span.addEvent("mesh.retry", Attributes.of(REASON, reason, MeshTelemetry.ATTEMPT, (long) nextAttempt));
    }
  }
}

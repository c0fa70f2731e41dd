package io.mesh4j.http.internal;

import io.mesh4j.Mesh;
import io.mesh4j.Outcome;
import io.mesh4j.breaker.CircuitOpenException;
import io.mesh4j.breaker.ServiceBreaker;
import io.mesh4j.breaker.ServiceBreakers;
import java.io.IOException;
import java.util.Objects;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Layer 4: the service-level circuit breaker. An open breaker fails the call at once with
 * {@link CircuitOpenException}, sending nothing; otherwise the call goes on and its result is
 * recorded: a 5xx answer or an I/O failure is a failure, anything else a success, each with its
 * duration (for the slow-call rate).
 *
 * <p>It sits above the retry layer because it judges logical calls: a call that succeeded on its
 * second attempt is a success, and an open breaker must not be retried around. It sits below routing
 * and limits because it is per service, after the call has been admitted. Not counted: the caller's
 * own cancellation, and failures where nothing reached the service (a deadline that expired before
 * sending, no endpoints) — those release the permission instead, which frees a half-open trial slot.
 * Timeouts while in flight are failures: a service that hangs is exactly what the breaker is for.
 */
public final class CircuitBreakerInterceptor extends MeshLayer {
  private final ServiceBreakers breakers;

  /**
   * @param mesh     resolves hosts to services and their policies
   * @param breakers the breakers, shared by every client of the mesh so that they judge the service
   *                 together
   */
  public CircuitBreakerInterceptor(Mesh mesh, ServiceBreakers breakers) {
    super(mesh);
    this.breakers = Objects.requireNonNull(breakers, "breakers");
  }

  @Override
  protected Response intercept(Chain chain, Request request, String service) throws IOException {
    ServiceBreaker breaker = breakers.forService(mesh.service(service));
    if (breaker == null) {
      return chain.proceed(request); // disabled by policy
    }
    long start = breaker.acquirePermission(); // CircuitOpenException: nothing sent
    Outcome outcome = Outcome.CANCELLED; // a RuntimeException or Error below only releases the permission
    try {
      Response response = chain.proceed(request);
      outcome = io.mesh4j.AnswerClass.ofHttp(response.code()).breakerOutcome();
      return response;
    } catch (IOException e) {
      outcome = CallFailures.nothingReachedTheService(e) || CallFailures.cancelledByCaller(chain, e) ? Outcome.CANCELLED
          : Outcome.FAILURE;
      throw e;
    } finally {
      breaker.onFinish(start, outcome);
    }
  }
}

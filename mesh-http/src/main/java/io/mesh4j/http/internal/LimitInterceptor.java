package io.mesh4j.http.internal;

import io.mesh4j.Mesh;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.limit.LimitExceededException;
import io.mesh4j.limit.ServiceLimiter;
import io.mesh4j.limit.ServiceLimiters;
import java.io.IOException;
import java.util.Objects;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Client-side limits: the service's rate limit, then its concurrency limit, waiting at most the
 * policy's {@code maxWait} for room, and never past the call's deadline, and otherwise failing with
 * {@link LimitExceededException} (or {@link io.mesh4j.DeadlineExceededException} when the deadline came
 * first), sending nothing.
 *
 * <p>It sits above the circuit breaker and the retries so that it counts logical calls, and so that a
 * call waiting for room holds no breaker permission meanwhile; below the deadline layer, whose
 * deadline bounds the wait (a cancelled OkHttp call does not wake a thread waiting here; the deadline does).
 *
 * <p>The concurrency slot is released when the response headers arrive (or the call fails), not when
 * the body is closed: the body is read at the caller's pace, and holding the slot until then would
 * mean wrapping every body and would leak slots for callers that never close one. What the adaptive
 * limit learns from the call: 503 and 429 answers and I/O failures (timeouts included) are drops, the
 * overload signals; the caller's cancellation and failures where nothing reached the service teach
 * nothing; every other answer is a success.
 */
public final class LimitInterceptor extends MeshLayer {
  private final ServiceLimiters limiters;

  /**
   * @param mesh     resolves hosts to services and their policies
   * @param limiters the limiters, shared by every client of the mesh so that limits hold across them
   */
  public LimitInterceptor(Mesh mesh, ServiceLimiters limiters) {
    super(mesh);
    this.limiters = Objects.requireNonNull(limiters, "limiters");
  }

  @Override
  protected Response intercept(Chain chain, Request request, String service) throws IOException {
    ServiceLimiter limiter = limiters.forService(mesh.service(service));
    if (limiter == null) {
      return chain.proceed(request); // the policy sets no limit
    }
    // The deadline layer above made the call's deadline current: a wait for room never outlasts it.
    Deadline deadline = Deadline.current();
    // LimitExceededException, DeadlineExceededException or InterruptedIOException: nothing sent.
    limiter.acquire(deadline == null ? Long.MAX_VALUE : deadline.remainingNanos());
    Response response;
    try {
      response = chain.proceed(request);
    } catch (IOException e) {
      if (CallFailures.nothingReachedTheService(e) || CallFailures.cancelledByCaller(chain, e)) {
        limiter.onIgnored();
      } else {
        limiter.onDropped();
      }
      throw e;
    } catch (RuntimeException | Error e) {
      limiter.onIgnored();
      throw e;
    }
    if (io.mesh4j.AnswerClass.ofHttp(response.code()).overloadSignal()) {
      limiter.onDropped();
    } else {
      limiter.onSuccess();
    }
    return response;
  }
}

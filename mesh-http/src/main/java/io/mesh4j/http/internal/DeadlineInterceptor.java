package io.mesh4j.http.internal;

import io.mesh4j.CallPlan;
import io.mesh4j.DeadlineExceededException;
import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.deadline.Deadline;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Layer 2: the effective deadline of the call is the earlier of the policy's total timeout and the
 * deadline inherited from the caller's context. An already-expired deadline fails the call before
 * anything is sent. Otherwise the deadline is made current for the layers below (the attempt layer
 * sends what is left of it downstream) and the call is cancelled when it passes.
 *
 * <p>The deadline covers the whole call, reading the response body included ({@link DeadlineBody}):
 * a server that answers its headers in time and then dribbles the body is cut off at the deadline, as
 * on gRPC. A caller that streams a body for longer than its timeout needs a longer {@code
 * timeouts.total} (or a method's {@code @Timeout}).
 */
public final class DeadlineInterceptor extends MeshLayer {

  public DeadlineInterceptor(Mesh mesh) {
    super(mesh);
  }

  @Override
  protected Response intercept(Chain chain, Request request, String service) throws IOException {
    ServiceRuntime runtime = mesh.service(service);
    Context context = Context.current();
    Deadline inherited = Deadline.fromContext(context);
    // The call's one plan, with an annotated client's per-method overrides; the layers below read it.
    CallPlan plan = CallPlans.take(runtime, request);
    long totalNanos = plan.totalTimeout().toNanos();
    boolean inheritedWins = inherited != null && inherited.remainingNanos() <= totalNanos;
    String source = inheritedWins ? "inherited from the caller" : plan.totalTimeoutSource();
    Deadline deadline = inheritedWins ? inherited : Deadline.afterNanos(totalNanos, mesh.ticker());
    long remaining = deadline.remainingNanos();
    if (remaining <= 0) {
      throw new DeadlineExceededException(service, "deadline expired " + (-remaining / 1_000_000)
          + " ms before the request was sent (inherited from the caller); nothing was sent", false, null);
    }
    // What the error reports: the configured timeout when the deadline is this call's own, what was
    // left of the caller's otherwise.
    long budget = inheritedWins ? remaining : totalNanos;
    CallCanceller canceller = CallCanceller.start(chain.call(), remaining);
    boolean fired;
    CallPlan previousPlan = CallPlans.enter(plan);
    try (Scope ignored = inheritedWins ? null : context.with(deadline).makeCurrent()) {
      Response response = chain.proceed(request);
      if (!canceller.hasFired() && response.body().contentLength() != 0) {
        // The canceller runs on until the body is read or closed; a read it cut short names the deadline.
        long b = budget;
        return response.newBuilder().body(new DeadlineBody(response.body(), canceller,
            e -> new DeadlineExceededException(service, "deadline of " + Math.max(1, b / 1_000_000) + " ms ("
                + source + ") passed while reading the response body", true, e))).build();
      }
      fired = canceller.stop();
      if (!fired) {
        return response;
      }
      response.close();
    } catch (DeadlineExceededException e) {
      canceller.stop();
      throw e; // a layer below ran out of time itself and said where (the limits, waiting for room)
    } catch (IOException e) {
      if (canceller.stop()) {
        throw exceeded(service, source, budget, e);
      }
      throw e;
    } catch (RuntimeException | Error e) {
      canceller.stop();
      throw e;
    } finally {
      CallPlans.restore(previousPlan);
    }
    throw exceeded(service, source, budget, null);
  }

  private static DeadlineExceededException exceeded(String service, String source, long nanos, Throwable cause) {
    return new DeadlineExceededException(service, "deadline of " + Math.max(1, nanos / 1_000_000) + " ms ("
        + source + ") passed before the response", true, cause);
  }
}

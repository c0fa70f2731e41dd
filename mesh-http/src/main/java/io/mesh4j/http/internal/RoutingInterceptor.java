package io.mesh4j.http.internal;

import io.mesh4j.CallPlan;
import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Layer 3: routing. Matches the request against the service's routes (method, path prefix, headers;
 * first match wins) and, for a weighted split, draws the destination. The decision is made once per
 * call, above the breaker and retries, so that every retry of a call stays in the subset it was routed
 * to (a canary request is retried on the canary). No match: all endpoints.
 */
public final class RoutingInterceptor extends MeshLayer {
  static final AttributeKey<String> ROUTE = AttributeKey.stringKey("mesh.route");
  static final AttributeKey<String> SUBSET = AttributeKey.stringKey("mesh.subset");


  public RoutingInterceptor(Mesh mesh) {
    super(mesh);
  }

  @Override
  protected Response intercept(Chain chain, Request request, String service) throws IOException {
    ServiceRuntime runtime = mesh.service(service);
    AttemptScope scope = new AttemptScope();
    // The deadline layer's plan: routed within its policy revision, not the one in force now. Each hop of
    // a redirect is routed again (its path may match another route), within the same plan.
    CallPlan plan = CallPlans.of(runtime, request);
    if (!plan.policy().routes().isEmpty()) {
      plan = runtime.route(plan, request.method(), request.url().encodedPath(), request::header);
      Span span = Span.current();
      if (plan.route().matched() && span.isRecording()) {
        span.setAttribute(ROUTE, plan.route().route().name());
        span.setAttribute(SUBSET, String.valueOf(new java.util.TreeMap<>(plan.route().destination().labels())));
      }
    }
    scope.plan = plan;
    AttemptScope previous = scope.enter();
    try {
      return chain.proceed(request);
    } finally {
      AttemptScope.restore(previous);
    }
  }
}

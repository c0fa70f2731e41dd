package io.mesh4j.http.internal;

import io.mesh4j.Mesh;
import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Layer 1: one CLIENT span per logical call, named and attributed by the HTTP semantic conventions,
 * and the {@code http.client.request.duration} measurement. Outermost so that it covers everything
 * the mesh does for the call. It also makes the caller's context (captured at {@code newCall}) current
 * for the layers below, which matters for {@code enqueue()}.
 */
public final class TracingInterceptor implements Interceptor {
  static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  private final Mesh mesh;
  private final CallContexts contexts;

  public TracingInterceptor(Mesh mesh, CallContexts contexts) {
    this.mesh = mesh;
    this.contexts = contexts;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Context parent = contexts.take(chain.call());
    String service = io.mesh4j.discovery.ServiceNames.ofHost(request.url().host());
    if (!mesh.handles(service)) {
      return chain.proceed(request);
    }
    MeshTelemetry telemetry = mesh.telemetry();
    long startNanos = System.nanoTime();
    Span span = null;
    Context context = parent;
    if (telemetry.tracingEnabled()) {
      span = telemetry.tracer().spanBuilder(request.method())
          .setParent(parent)
          .setSpanKind(SpanKind.CLIENT)
          .setAttribute(METHOD, request.method())
          .setAttribute(SERVER_ADDRESS, service)
          .setAttribute(SERVER_PORT, (long) request.url().port())
          .setAttribute(URL_FULL, request.url().toString())
          .setAttribute(MeshTelemetry.SERVICE, service)
          .startSpan();
      context = parent.with(span);
    }
    Response response = null;
    Throwable failure = null;
    try (Scope ignored = context == Context.current() ? null : context.makeCurrent()) {
      response = chain.proceed(request);
      return response;
    } catch (IOException | RuntimeException | Error e) {
      failure = e;
      throw e;
    } catch (Exception e) { // thrown undeclared by Kotlin code below (an interrupt): an IOException, as promised
      IOException io = CallFailures.asIoException(e, service);
      failure = io;
      throw io;
    } finally {
      String errorType = failure != null ? failure.getClass().getName()
          : response.code() >= 400 ? Integer.toString(response.code()) : null;
      if (span != null) {
        if (response != null) {
          span.setAttribute(STATUS, (long) response.code());
        }
        if (errorType != null) {
          span.setAttribute(ERROR_TYPE, errorType);
          span.setStatus(StatusCode.ERROR);
        }
        if (failure != null) {
          span.recordException(failure);
        }
        span.end();
      }
      if (telemetry.metricsEnabled()) {
        var attrs = Attributes.builder().put(METHOD, request.method()).put(SERVER_ADDRESS, service);
        if (response != null) {
          attrs.put(STATUS, (long) response.code());
        }
        if (errorType != null) {
          attrs.put(ERROR_TYPE, errorType);
        }
        telemetry.requestDuration().record((System.nanoTime() - startNanos) / 1e9, attrs.build(), context);
      }
    }
  }
}

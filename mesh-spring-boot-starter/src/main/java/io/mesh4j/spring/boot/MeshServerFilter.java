package io.mesh4j.spring.boot;

import io.mesh4j.Mesh;
import io.mesh4j.authz.ServerAuthorizer;
import io.mesh4j.policy.AccessRequest;
import io.mesh4j.policy.AuthorizationDecision;
import io.mesh4j.policy.AuthorizationRule;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Inbound side of the mesh for servlet applications: extracts the caller's trace context and deadline
 * ({@code mesh-timeout-ms}) with the mesh's propagator and makes them current while the request is
 * handled, so every mesh call made for it inherits what is left of the caller's time.
 *
 * <p>The context is current on the thread that runs the filter chain; work handed to other threads
 * must carry it ({@code Context.current().wrap(...)}).
 *
 * <p>Records {@code http.server.request.duration} (seconds; {@code http.request.method},
 * {@code http.response.status_code}, {@code url.scheme}, and {@code error.type} when the chain throws)
 * through the mesh's meter; for asynchronous requests, when the asynchronous processing completes.
 *
 * <p>Given the service's own name ({@link #MeshServerFilter(Mesh, String)}; the starter passes
 * {@code mesh.service-name}), it decides every request by the {@code authorization} rules of that
 * service's policy before the rest of the chain runs. The caller is the service named in the TLS client
 * certificate ({@link ServerAuthorizer#callerOf}; serve with {@code server.ssl} and client
 * authentication for callers to have one); the path matched is the one the container decoded and
 * normalized, within the application (servlet path and path info, without the context path). A denied
 * request is answered {@code 403} with an {@code application/problem+json} body naming the rule, and
 * nothing after this filter runs. While the service has rules, a request whose raw path is not
 * canonical ({@link AuthorizationRule#isCanonical}) is answered {@code 400}: the container and the
 * framework could disagree on which path it names.
 *
 * <p>The caller's service name, when its client certificate names one, is the request attribute
 * {@link #CALLER_ATTRIBUTE}.
 */
public final class MeshServerFilter implements Filter {
  private static final TextMapGetter<HttpServletRequest> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(HttpServletRequest carrier) {
      return Collections.list(carrier.getHeaderNames());
    }

    @Override
    public String get(HttpServletRequest carrier, String key) {
      return carrier == null ? null : carrier.getHeader(key);
    }
  };

  /**
   * The request attribute holding the caller's service name, from its verified TLS client certificate
   * ({@code request.getAttribute(MeshServerFilter.CALLER_ATTRIBUTE)}); absent for a caller without a mesh
   * identity.
   */
  public static final String CALLER_ATTRIBUTE = "io.mesh4j.caller";

  static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> SCHEME = AttributeKey.stringKey("url.scheme");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  private static final List<String> KNOWN_METHODS =
      List.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");
  private static final List<Double> DURATION_BUCKETS =
      List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);

  private final Mesh mesh;
  private final DoubleHistogram duration;
  private final ServerAuthorizer authorizer;

  /** Extracts the caller's context and records durations; authorizes nothing. */
  public MeshServerFilter(Mesh mesh) {
    this(mesh, (ServerAuthorizer) null);
  }

  /** As {@link #MeshServerFilter(Mesh)}, and decides requests by the authorization rules of {@code service}. */
  public MeshServerFilter(Mesh mesh, String service) {
    this(mesh, ServerAuthorizer.create(Objects.requireNonNull(mesh, "mesh"), service));
  }

  private MeshServerFilter(Mesh mesh, ServerAuthorizer authorizer) {
    this.authorizer = authorizer;
    this.mesh = Objects.requireNonNull(mesh, "mesh");
    this.duration = mesh.telemetry().meter().histogramBuilder("http.server.request.duration")
        .setUnit("s")
        .setDescription("Duration of HTTP server requests.")
        .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS)
        .build();
  }

  @Override
  @SuppressWarnings("try") // the scope is held for its effect: the context is current inside the block
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (!(request instanceof HttpServletRequest http)) {
      chain.doFilter(request, response);
      return;
    }
    long start = System.nanoTime();
    Throwable failure = null;
    Context context = mesh.telemetry().propagator().extract(Context.current(), http, HEADERS);
    String caller = ServerAuthorizer.callerOf(
        (Certificate[]) http.getAttribute("jakarta.servlet.request.X509Certificate"));
    if (caller != null) {
      http.setAttribute(CALLER_ATTRIBUTE, caller);
    }
    try (Scope ignored = context.makeCurrent()) {
      if (authorizer != null && !authorize(http, caller, response, context)) {
        return; // refused: answered 403, nothing else runs (the duration is still recorded)
      }
      chain.doFilter(request, response);
    } catch (IOException | ServletException | RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      if (failure == null && http.isAsyncStarted()) {
        http.getAsyncContext().addListener(new AsyncListener() {
          @Override
          public void onComplete(AsyncEvent event) {
            record(http, response, start, null);
          }

          @Override
          public void onTimeout(AsyncEvent event) {}

          @Override
          public void onError(AsyncEvent event) {}

          @Override
          public void onStartAsync(AsyncEvent event) {}
        });
      } else {
        record(http, response, start, failure);
      }
    }
  }

  private boolean authorize(HttpServletRequest http, String caller, ServletResponse response, Context context)
      throws IOException {
    if (!authorizer.policy().isEmpty()) {
      // The container decodes and normalizes the path this filter matches; the framework may route on the
      // raw one (Spring MVC does: "/admin/../status" is /status here and /admin/{x} there). With rules in
      // force only paths on which both agree are served.
      String raw = http.getRequestURI();
      String contextPath = http.getContextPath();
      if (raw != null && contextPath != null && raw.startsWith(contextPath)) {
        raw = raw.substring(contextPath.length());
      }
      if (raw == null || !AuthorizationRule.isCanonical(raw.isEmpty() ? "/" : raw)) {
        String shown = raw == null ? "(none)" : raw.length() > 200 ? raw.substring(0, 200) + "..." : raw;
        problem(response, HttpServletResponse.SC_BAD_REQUEST, "Bad Request", "path " + shown + " is not canonical"
            + " (expected: no empty, '.' or '..' segments, no ';' or '\\', no encoded '.', '/' or '\\'; service '"
            + authorizer.service() + "' enforces authorization rules on canonical paths only)", null);
        return false;
      }
    }
    String path = http.getServletPath() + (http.getPathInfo() == null ? "" : http.getPathInfo());
    AuthorizationDecision d = authorizer.authorize(AccessRequest.http(caller, http.getMethod(),
        path.isEmpty() ? "/" : path), context);
    if (d.allowed()) {
      return true;
    }
    problem(response, HttpServletResponse.SC_FORBIDDEN, "Forbidden", d.reason(), d.rule());
    return false;
  }

  private void problem(ServletResponse response, int status, String title, String detail, String rule)
      throws IOException {
    if (response instanceof HttpServletResponse r) {
      byte[] body = ("{\"type\":\"about:blank\",\"title\":" + quote(title) + ",\"status\":" + status
          + ",\"detail\":" + quote(detail) + ",\"service\":" + quote(authorizer.service()) + ",\"rule\":"
          + (rule == null ? "null" : quote(rule)) + "}").getBytes(StandardCharsets.UTF_8);
      r.setStatus(status);
      r.setContentType("application/problem+json");
      r.setContentLength(body.length);
      r.getOutputStream().write(body);
    }
  }

  /** A JSON string literal: names come from certificates and policy, and are escaped like any input. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  private void record(HttpServletRequest request, ServletResponse response, long start, Throwable failure) {
    double seconds = (System.nanoTime() - start) / 1e9;
    String method = request.getMethod();
    AttributesBuilder a = Attributes.builder()
        .put(METHOD, KNOWN_METHODS.contains(method) ? method : "_OTHER")
        .put(SCHEME, request.getScheme());
    int status = response instanceof HttpServletResponse r ? r.getStatus() : 0;
    if (failure != null) {
      // The container answers 500 for what the chain throws, unless an error status was set first.
      status = status >= 400 ? status : 500;
      a.put(ERROR_TYPE, failure.getClass().getName());
    } else if (status >= 500) {
      a.put(ERROR_TYPE, Integer.toString(status));
    }
    if (status > 0) {
      a.put(STATUS, status);
    }
    duration.record(seconds, a.build());
  }
}

package io.mesh4j.http;

import io.mesh4j.Mesh;
import io.mesh4j.http.internal.AttemptInterceptor;
import io.mesh4j.http.internal.CallContexts;
import io.mesh4j.http.internal.CircuitBreakerInterceptor;
import io.mesh4j.http.internal.LimitInterceptor;
import io.mesh4j.http.internal.MeshHostnameVerifier;
import io.mesh4j.http.internal.MeshTls;
import io.mesh4j.http.internal.NoDelaySocketFactory;
import io.mesh4j.identity.WorkloadIdentity;
import io.mesh4j.http.internal.DeadlineInterceptor;
import io.mesh4j.http.internal.RedirectInterceptor;
import io.mesh4j.http.internal.RetryInterceptor;
import io.mesh4j.http.internal.RoutingInterceptor;
import io.mesh4j.http.internal.TracingInterceptor;
import java.util.Objects;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;

/**
 * Puts the mesh into an application's own {@link OkHttpClient}. The application keeps its settings,
 * connection pool, dispatcher and interceptors; the mesh adds three application interceptors after
 * the existing ones, in the order of DESIGN.md's request path (tracing, deadline, routing, limits,
 * circuit breaker, retries, attempt); the three that matter most:
 *
 * <ol>
 *   <li>{@code TracingInterceptor}: one CLIENT span and one duration measurement per logical call.
 *       Outermost, so it times everything below it, including waiting for a deadline.</li>
 *   <li>{@code DeadlineInterceptor}: effective deadline = min(policy total timeout, inherited
 *       deadline); fails at once, sending nothing, when it has already passed; cancels the call when it
 *       passes in flight. Above the attempt layer because it bounds every attempt (and, later, retries).</li>
 *   <li>{@code AttemptInterceptor}: picks the endpoint, rewrites the URL, injects trace context and
 *       the remaining deadline, applies the per-attempt timeout and records latency and outcome.
 *       Innermost, because it is the one place that knows which endpoint is being talked to.</li>
 * </ol>
 *
 * <p>A URL whose host is a mesh service ({@code http://orders/v1/orders/7}) is resolved per attempt;
 * any other host passes through untouched. Both {@code execute()} and {@code enqueue()} work: the
 * caller's OpenTelemetry context (trace and deadline) is captured when the call is created, so
 * asynchronous calls inherit it too.
 *
 * <pre>{@code
 * OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
 * try (Response r = client.newCall(new Request.Builder().url("http://orders/v1/orders/7").build()).execute()) {
 *   ...
 * }
 * }</pre>
 */
public final class MeshOkHttp {
  private MeshOkHttp() {}

  /**
   * A mesh-enabled client sharing {@code base}'s connection pool, dispatcher and settings.
   * Cheap: call once and keep the result.
   */
  public static OkHttpClient client(Mesh mesh, OkHttpClient base) {
    Objects.requireNonNull(base, "base");
    return install(mesh, base.newBuilder(), base, false).build();
  }

  /**
   * As {@link #client(Mesh, OkHttpClient)}, with mutual TLS to mesh services: call them as
   * {@code https://payment/...}. The client presents {@code identity}'s certificate (the current one:
   * renewals need no new client). Before every exchange, a call the mesh routed to {@code payment} proceeds
   * only if its connection's peer chains to the mesh's current roots and its certificate names
   * {@code spiffe://<trust-domain>/service/payment} (the service the call was routed to, not the address);
   * nothing of the request is sent otherwise. Hosts outside the mesh keep {@code base}'s trust manager and
   * host name verifier, and are refused if they present a mesh workload certificate.
   *
   * <p>Replaces {@code base}'s SSL socket factory, and sets {@code TCP_NODELAY} on its sockets (as gRPC
   * does): with Nagle's algorithm the client's last TLS 1.3 flight waits for a delayed ACK, ~40 ms per new
   * connection. Certificate pinning ({@code CertificatePinner}) is not supported for mesh services, and
   * the client has no response cache (cached responses would skip the per-exchange check). Mesh services
   * called over {@code http://} are refused: use a client without an identity for plaintext services.
   * Make one such client per identity and keep it (each registers a renewal listener on the identity).
   */
  public static OkHttpClient client(Mesh mesh, OkHttpClient base, WorkloadIdentity identity) {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(mesh, "mesh");
    MeshTls tls = MeshTls.of(Objects.requireNonNull(identity, "identity"), base.x509TrustManager());
    OkHttpClient.Builder b = base.newBuilder()
        // TCP_NODELAY: without it every new mTLS connection waits ~40 ms on a delayed ACK (NoDelaySocketFactory)
        .socketFactory(new NoDelaySocketFactory(base.socketFactory()))
        .sslSocketFactory(tls.sslContext().getSocketFactory(), tls.trustManager())
        .hostnameVerifier(tls.hostnameVerifier(base.hostnameVerifier()))
        // who the peer is, decided per exchange by the service the call was routed to (MeshTls)
        .addNetworkInterceptor(tls.peerCheck())
        // cached responses are keyed by the endpoint's address and would skip that check
        .cache(null);
    return install(mesh, b, b.build(), true).build();
  }

  /** Adds the mesh to {@code builder} and returns it, for applications that still configure their client. */
  public static OkHttpClient.Builder decorate(Mesh mesh, OkHttpClient.Builder builder) {
    Objects.requireNonNull(builder, "builder");
    // The builder does not expose its event-listener factory; a built client does.
    return install(mesh, builder, builder.build(), false);
  }

  /**
   * @param meshTls whether the client has mutual TLS ({@link MeshTls}): then attempts are tagged with their
   *     service for its per-exchange check, and certificates are not matched to services by address
   *     ({@link MeshHostnameVerifier}), which MeshTls replaces
   */
  private static OkHttpClient.Builder install(Mesh mesh, OkHttpClient.Builder builder, OkHttpClient current,
      boolean meshTls) {
    Objects.requireNonNull(mesh, "mesh");
    for (okhttp3.Interceptor i : current.interceptors()) {
      if (i instanceof TracingInterceptor) {
        throw new IllegalArgumentException("this OkHttpClient already has the mesh installed");
      }
    }
    CallContexts contexts = new CallContexts();
    AttemptInterceptor attempt = new AttemptInterceptor(mesh, meshTls);
    // Hedged attempts run as calls of their own: on the application's client with only the attempt
    // layer, and a dispatcher of their own (same threads) so OkHttp's 5-per-host limit does not
    // throttle backups.
    OkHttpClient.Builder attempts = current.newBuilder();
    attempts.interceptors().clear();
    Dispatcher dispatcher = new Dispatcher(current.dispatcher().executorService());
    dispatcher.setMaxRequests(Math.max(256, current.dispatcher().getMaxRequests()));
    dispatcher.setMaxRequestsPerHost(Math.max(256, current.dispatcher().getMaxRequestsPerHost()));
    // Redirects are followed by the mesh (RedirectInterceptor), above routing, so OkHttp's own following
    // (below the mesh, on the endpoint's address) is off in both clients.
    // Certificates of mesh endpoints are verified against the service name, not the endpoint's address.
    javax.net.ssl.HostnameVerifier verifier = meshTls
        ? current.hostnameVerifier() : new MeshHostnameVerifier(mesh, current.hostnameVerifier());
    OkHttpClient attemptClient = attempts.addInterceptor(attempt).dispatcher(dispatcher).followRedirects(false)
        .hostnameVerifier(verifier).build();
    return builder
        .followRedirects(false)
        .hostnameVerifier(verifier)
        .eventListenerFactory(contexts.capturing(current.eventListenerFactory()))
        .addInterceptor(new TracingInterceptor(mesh, contexts))
        .addInterceptor(new DeadlineInterceptor(mesh))
        .addInterceptor(new RedirectInterceptor(current.followRedirects(), current.followSslRedirects()))
        .addInterceptor(new RoutingInterceptor(mesh))
        .addInterceptor(new LimitInterceptor(mesh, mesh.limiters()))
        .addInterceptor(new CircuitBreakerInterceptor(mesh, mesh.breakers()))
        .addInterceptor(new RetryInterceptor(mesh, attemptClient))
        .addInterceptor(attempt);
  }
}

package io.mesh4j.authz;

import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.discovery.ServiceNames;
import io.mesh4j.internal.identity.PeerIdentityTrustManager;
import io.mesh4j.policy.AccessRequest;
import io.mesh4j.policy.AuthorizationDecision;
import io.mesh4j.policy.AuthorizationPolicy;
import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Decides inbound calls to one service by the {@code authorization} section of that service's policy,
 * for the protocol adapters' server sides ({@code MeshServerFilter}, {@code MeshServerInterceptor}).
 *
 * <p>The policy is the one the mesh holds for the service (pushed by the control plane, swapped in
 * atomically with the rest of the service's policy), so a rule change applies to the next call.
 * Every decision that is not "no rules" is counted in {@code mesh.server.authorizations}
 * ({@code mesh.service}, {@code mesh.caller}, {@code mesh.decision}: allowed, denied or audited, and
 * {@code mesh.rule}) and added to the current span as a {@code mesh.authorization} event. Denials and
 * audited denials are logged at WARNING the first time each caller, rule and outcome is seen, and
 * counted always, so a flood of refused calls cannot flood the log.
 *
 * <p>The caller's identity comes from its TLS client certificate ({@link #callerOf}); it is only as
 * trustworthy as the server's trust store: serve with the mesh identity's trust bundle
 * ({@code WorkloadIdentity.sslContext()}), so that only certificates issued by the mesh's CA are
 * accepted.
 *
 * <p>Thread-safe: the policy is read from the service runtime's published snapshot (one volatile
 * read); the log-once set is a concurrent set capped at {@value #MAX_LOGGED} keys.
 */
public final class ServerAuthorizer {
  private static final Logger LOG = Logger.getLogger(ServerAuthorizer.class.getName());
  static final int MAX_LOGGED = 1024;
  static final AttributeKey<String> CALLER = AttributeKey.stringKey("mesh.caller");
  static final AttributeKey<String> RULE = AttributeKey.stringKey("mesh.rule");
  static final AttributeKey<String> REASON = AttributeKey.stringKey("mesh.reason");
  private static final String SPIFFE_SERVICE = "/service/";

  private final String service;
  private final ServiceRuntime runtime;
  private final LongCounter decisions;
  private final Set<String> logged = ConcurrentHashMap.newKeySet();
  private volatile boolean warnedNoPolicy;

  private ServerAuthorizer(Mesh mesh, String service) {
    this.service = service;
    this.runtime = mesh.service(service);
    this.decisions = mesh.telemetry().meter().counterBuilder("mesh.server.authorizations")
        .setUnit("{call}")
        .setDescription("Inbound calls decided by the service's authorization rules, by caller, decision and rule.")
        .build();
  }

  /**
   * An authorizer for calls to {@code service}, this application's own service name (the one its
   * policy is stored under).
   *
   * @throws IllegalArgumentException when {@code service} is blank
   */
  public static ServerAuthorizer create(Mesh mesh, String service) {
    Objects.requireNonNull(mesh, "mesh");
    if (!ServiceNames.isValid(service)) {
      // A name that can have no policy would leave the service without rules, silently.
      throw new IllegalArgumentException("authorization: service name " + (service == null ? "(none)" : "'"
          + service + "'") + " (expected: this application's own service name, the one its policy is stored"
          + " under: " + ServiceNames.EXPECTED + ")");
    }
    return new ServerAuthorizer(mesh, service);
  }

  /** The service whose calls this authorizer decides. */
  public String service() {
    return service;
  }

  /** The authorization policy in force now. */
  public AuthorizationPolicy policy() {
    return runtime.policy().authorization();
  }

  /**
   * Decides {@code call}, recording the decision (metric, span event on {@code context}'s span, log).
   * The caller must refuse the call when the result is not {@link AuthorizationDecision#allowed()}.
   */
  public AuthorizationDecision authorize(AccessRequest call, Context context) {
    AuthorizationPolicy policy = runtime.policy().authorization();
    AuthorizationDecision d = policy.decide(service, call);
    if (d == AuthorizationDecision.NO_RULES) {
      if (!warnedNoPolicy && runtime.policyRevision() == 0) {
        warnedNoPolicy = true; // once: a benign race may log it twice
        LOG.warning("authorization: no policy received for service '" + service + "' yet: every call is"
            + " allowed until it arrives (then its authorization rules apply)");
      }
      return d; // no rules: nothing to count, the common case costs two volatile reads
    }
    String caller = call.caller() != null ? call.caller() : "none";
    String rule = d.rule() != null ? d.rule() : "none";
    decisions.add(1, Attributes.of(MeshTelemetry.SERVICE, service, CALLER, caller, MeshTelemetry.DECISION,
        d.effect().label(), RULE, rule), context);
    Span span = Span.fromContext(context);
    if (span.isRecording()) {
      span.addEvent("mesh.authorization", Attributes.of(CALLER, caller, MeshTelemetry.DECISION, d.effect().label(),
          RULE, rule, REASON, d.reason()));
    }
    if (d.effect() != AuthorizationDecision.Effect.ALLOWED && logged.size() <= MAX_LOGGED
        && logged.add(caller + '\n' + rule + '\n' + d.effect())) {
      if (logged.size() > MAX_LOGGED) {
        LOG.warning("authorization: " + MAX_LOGGED + " distinct denials of service '" + service + "' logged;"
            + " new ones are only counted in mesh.server.authorizations from now on");
      } else {
        LOG.log(Level.WARNING, "authorization: {0} (further calls like it are counted in"
            + " mesh.server.authorizations, not logged)", d.reason());
      }
    }
    return d;
  }

  /**
   * The service name in a TLS peer's certificate chain: the {@code <name>} of the leaf's URI SAN
   * {@code spiffe://<trust-domain>/service/<name>}, or null when there is no chain or the leaf names no
   * mesh service (a caller without a mesh identity).
   */
  public static String callerOf(Certificate[] chain) {
    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return null;
    }
    String san;
    try {
      san = PeerIdentityTrustManager.uriSan(leaf);
    } catch (CertificateParsingException e) {
      return null;
    }
    if (san == null || !san.startsWith("spiffe://")) {
      return null;
    }
    int slash = san.indexOf('/', "spiffe://".length()); // the trust domain holds no '/': its path starts here
    if (slash < 0 || !san.startsWith(SPIFFE_SERVICE, slash)) {
      return null;
    }
    String name = san.substring(slash + SPIFFE_SERVICE.length());
    return name.isEmpty() || name.indexOf('/') >= 0 ? null : name;
  }
}

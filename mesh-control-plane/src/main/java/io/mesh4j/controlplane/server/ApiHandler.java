package io.mesh4j.controlplane.server;

import io.mesh4j.controlplane.auth.Principal;
import io.mesh4j.controlplane.auth.Role;
import io.mesh4j.controlplane.auth.TokenAuthenticator;
import io.mesh4j.controlplane.store.NotFoundException;
import io.mesh4j.controlplane.store.RevisionConflictException;
import io.mesh4j.controlplane.store.Store;
import io.mesh4j.controlplane.store.StoreException;
import java.util.Arrays;
import java.util.concurrent.Executor;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code /v1} API as one Jetty core handler: route, method, token, then the endpoint. Errors become
 * {@code application/problem+json}: bad input 400 (every bad field listed), 401 / 403, 404, 405, 409,
 * 413, 415, and 503 when the store fails or the server is stopping. Bad input never reaches the store
 * and never yields a 500.
 *
 * <p>Threads: the handler is non-blocking, so {@link #handle} may run on Jetty's selector thread; the
 * endpoints that only read memory (watch, health, current state, heartbeat) run right there, the others
 * (store writes, history) are handed to the pool. Bodies are read asynchronously (a slow client holds no
 * thread) and the endpoint then runs on the pool. A watch returns from {@code handle} without answering;
 * the {@link WatchEndpoint} answers later from whichever thread ends it.
 */
final class ApiHandler extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);

  /** Every route: path shape, methods, the role it needs (null: none) and whether it reads a body. */
  enum Route {
    HEALTH("GET"),
    WATCH("GET", "POST"),
    SERVICES("GET"),
    POLICY("GET", "PUT", "DELETE"),
    POLICY_HISTORY("GET"),
    POLICY_ROLLBACK("POST"),
    INSTANCES("GET", "POST"),
    INSTANCE("GET", "DELETE"),
    INSTANCE_HEARTBEAT("PUT"),
    REPORTS("POST"),
    TOPOLOGY("GET"),
    STATS("GET"),
    CLIENTS("GET"),
    EVENTS("GET"),
    AUDIT("GET"),
    CERTIFICATE("POST"),
    TRUST_BUNDLE("GET"),
    METRICS("GET");

    final java.util.List<String> methods;

    Route(String... methods) {
      this.methods = java.util.List.of(methods);
    }

    /** The role a request needs: reads and watches any token, the registry and reports a client token. */
    Role role(String method) {
      return switch (this) {
        case HEALTH -> null;
        case POLICY -> method.equals("GET") ? Role.READ_ONLY : Role.ADMIN;
        case POLICY_ROLLBACK -> Role.ADMIN;
        case INSTANCES, INSTANCE -> method.equals("GET") ? Role.READ_ONLY : Role.CLIENT;
        case INSTANCE_HEARTBEAT, REPORTS, CERTIFICATE -> Role.CLIENT;
        default -> Role.READ_ONLY;
      };
    }

    /** The route as a path template, for metrics. */
    String template() {
      return switch (this) {
        case HEALTH -> "/v1/health";
        case WATCH -> "/v1/watch";
        case SERVICES -> "/v1/services";
        case POLICY -> "/v1/services/{name}/policy";
        case POLICY_HISTORY -> "/v1/services/{name}/policy/history";
        case POLICY_ROLLBACK -> "/v1/services/{name}/policy/rollback";
        case INSTANCES -> "/v1/services/{name}/instances";
        case INSTANCE -> "/v1/services/{name}/instances/{id}";
        case INSTANCE_HEARTBEAT -> "/v1/services/{name}/instances/{id}/heartbeat";
        case REPORTS -> "/v1/reports";
        case TOPOLOGY -> "/v1/topology";
        case STATS -> "/v1/stats";
        case CLIENTS -> "/v1/clients";
        case EVENTS -> "/v1/events";
        case AUDIT -> "/v1/audit";
        case CERTIFICATE -> "/v1/services/{name}/certificate";
        case TRUST_BUNDLE -> "/v1/trust-bundle";
        case METRICS -> "/metrics";
      };
    }

    boolean hasBody(String method) {
      return (this == POLICY && method.equals("PUT")) || (this == INSTANCES && method.equals("POST"))
          || (this == WATCH && method.equals("POST")) || this == REPORTS || this == CERTIFICATE;
    }

    /** Whether the endpoint only reads memory (so it may run on the selector thread) or may block. */
    boolean blocks(String method) {
      return switch (this) {
        case HEALTH, WATCH, SERVICES, INSTANCE_HEARTBEAT, REPORTS, TRUST_BUNDLE -> false;
        case CERTIFICATE -> true; // signs, and writes the audit entry
        // These wait on the report book's lock, which a 10-minute topology holds for tens of ms.
        case CLIENTS, EVENTS -> true;
        case TOPOLOGY, STATS, METRICS -> true; // merge up to 60 slots of edges: not on the selector thread
        case POLICY, INSTANCES, INSTANCE -> !method.equals("GET");
        case POLICY_HISTORY, POLICY_ROLLBACK, AUDIT -> true;
      };
    }
  }

  private record Match(Route route, String service, String instanceId) {}

  private final Store store;
  private final TokenAuthenticator auth;
  private final Executor executor;
  private final int maxBodyBytes;
  private final PolicyEndpoints policies;
  private final InstanceEndpoints instances;
  private final WatchEndpoint watches;
  private final ServiceEndpoints services;
  private final ReportEndpoints reports;
  private final MetricsEndpoint metricsEndpoint;
  private final AuditEndpoint audit;
  private final CertificateEndpoints certificates;
  private final ApiMetrics metrics;
  /** The store's epoch, in every answer; made once (it does not change while the store is open). */
  private final org.eclipse.jetty.http.HttpField epochField;

  ApiHandler(Store store, TokenAuthenticator auth, Executor executor, int maxBodyBytes, PolicyEndpoints policies,
      InstanceEndpoints instances, WatchEndpoint watches, ServiceEndpoints services, ReportEndpoints reports,
      MetricsEndpoint metricsEndpoint, ApiMetrics metrics, CertificateEndpoints certificates) {
    // Non-blocking: Jetty may call handle() on the selector thread, which saves a hand-off per watch
    // request (10,000 of them after every change). Everything that may block (store writes and history
    // reads, which wait on SQLite and its fsync) is moved to the pool below.
    super(InvocationType.NON_BLOCKING);
    this.store = store;
    this.auth = auth;
    this.executor = executor;
    this.maxBodyBytes = maxBodyBytes;
    this.policies = policies;
    this.instances = instances;
    this.watches = watches;
    this.services = services;
    this.reports = reports;
    this.metricsEndpoint = metricsEndpoint;
    this.audit = new AuditEndpoint(store);
    this.certificates = certificates;
    this.metrics = metrics;
    this.epochField = Exchange.epochField(store);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String method = request.getMethod();
    Exchange ex = null;
    try {
      String rawPath = request.getHttpURI().getPath();
      if (request.getHttpURI().hasViolations() || !isCanonical(rawPath)) {
        // Jetty lets ambiguous paths through to here (so that a body can be read through before the
        // refusal, see fail()), and resolves plain dot segments itself: /v1/services/x/../victim/policy
        // would act on "victim". The API names every resource plainly, so a path that is not already
        // canonical is refused before routing: no path reaches a service other than the one it names.
        throw Problem.badRequest("Invalid path", "path", Params.quote(rawPath)
            + " (expected: a canonical path: no dot segments ('.', '..'), empty segments or trailing '/', ';'"
            + " parameters, or encoded dots, slashes, percents or NULs)");
      }
      Match m = route(Request.getPathInContext(request));
      ex = new Exchange(request, response, callback, m.service, m.instanceId, store::revision, epochField);
      ex.observe(metrics, m.route.template());
      if (!m.route.methods.contains(method)) {
        throw new Problem(405, "Method not allowed", method + " (expected one of: " + String.join(", ",
            m.route.methods) + ")").header("Allow", String.join(", ", m.route.methods));
      }
      Role role = m.route.role(method);
      ex.principal = authorize(request, role);
      if (m.service != null) {
        Params.serviceName("service", m.service);
        if (role == Role.CLIENT) {
          requireScope(ex.principal, m.service);
        }
      }
      if (m.route.hasBody(method)) {
        readBody(ex, m.route, method);
      } else if (hasContent(request)) {
        // A heartbeat, delete, rollback or read carries nothing: a body means the client meant something
        // else (a register sent as a heartbeat?) and must hear so, not get a 200 for a request it did not make.
        throw new Problem(400, "Unexpected body", method + " " + m.route.template() + " takes no body (expected:"
            + " no content; send the request without a body)");
      } else if (m.route.blocks(method)) {
        Exchange blocking = ex;
        executor.execute(() -> {
          try {
            dispatch(blocking, m.route, method);
          } catch (Throwable t) {
            fail(blocking, t);
          }
        });
      } else {
        dispatch(ex, m.route, method);
      }
    } catch (Throwable t) {
      if (ex == null) {
        ex = new Exchange(request, response, callback, null, null, store::revision, epochField);
        ex.observe(metrics, "unmatched");
      }
      fail(ex, t);
    }
    return true;
  }

  /** Whether a raw request path has no dot segment, empty segment, trailing slash or ';' parameter. */
  static boolean isCanonical(String rawPath) {
    if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/' || rawPath.indexOf(';') >= 0) {
      return false;
    }
    if (rawPath.length() == 1) {
      return true; // "/": no resource, answered 404 with the list of resources
    }
    int start = 1;
    while (true) {
      int end = rawPath.indexOf('/', start);
      int stop = end < 0 ? rawPath.length() : end;
      int length = stop - start;
      if (length == 0 || (length == 1 && rawPath.charAt(start) == '.')
          || (length == 2 && rawPath.charAt(start) == '.' && rawPath.charAt(start + 1) == '.')) {
        return false;
      }
      if (end < 0) {
        return true;
      }
      start = end + 1;
    }
  }

  private static Match route(String path) {
    if (path.equals("/metrics")) {
      return new Match(Route.METRICS, null, null);
    }
    String[] p = path.split("/", -1);
    // p[0] is "" (the leading slash).
    if (p.length < 3 || !p[0].isEmpty() || !p[1].equals("v1")) {
      throw notFound(path);
    }
    String[] s = Arrays.copyOfRange(p, 2, p.length);
    if (s.length == 1) {
      switch (s[0]) {
        case "health":
          return new Match(Route.HEALTH, null, null);
        case "watch":
          return new Match(Route.WATCH, null, null);
        case "services":
          return new Match(Route.SERVICES, null, null);
        case "reports":
          return new Match(Route.REPORTS, null, null);
        case "topology":
          return new Match(Route.TOPOLOGY, null, null);
        case "stats":
          return new Match(Route.STATS, null, null);
        case "clients":
          return new Match(Route.CLIENTS, null, null);
        case "events":
          return new Match(Route.EVENTS, null, null);
        case "audit":
          return new Match(Route.AUDIT, null, null);
        case "trust-bundle":
          return new Match(Route.TRUST_BUNDLE, null, null);
        default:
          throw notFound(path);
      }
    }
    if (!s[0].equals("services") || s.length < 3) {
      throw notFound(path);
    }
    String service = s[1];
    if (s[2].equals("policy")) {
      if (s.length == 3) {
        return new Match(Route.POLICY, service, null);
      }
      if (s.length == 4 && s[3].equals("history")) {
        return new Match(Route.POLICY_HISTORY, service, null);
      }
      if (s.length == 4 && s[3].equals("rollback")) {
        return new Match(Route.POLICY_ROLLBACK, service, null);
      }
    } else if (s[2].equals("certificate") && s.length == 3) {
      return new Match(Route.CERTIFICATE, service, null);
    } else if (s[2].equals("instances")) {
      if (s.length == 3) {
        return new Match(Route.INSTANCES, service, null);
      }
      if (s.length == 4 && !s[3].isEmpty()) {
        return new Match(Route.INSTANCE, service, s[3]);
      }
      if (s.length == 5 && !s[3].isEmpty() && s[4].equals("heartbeat")) {
        return new Match(Route.INSTANCE_HEARTBEAT, service, s[3]);
      }
    }
    throw notFound(path);
  }

  private static Problem notFound(String path) {
    return Problem.notFound("no resource at " + Params.quote(path) + " (see /v1/health, /v1/watch,"
        + " /v1/services, /v1/services/{name}/policy, /v1/services/{name}/instances, /v1/reports, /v1/topology,"
        + " /v1/stats, /v1/clients, /v1/events, /v1/audit, /v1/trust-bundle, /v1/services/{name}/certificate,"
        + " /metrics)");
  }

  private Principal authorize(Request request, Role role) {
    if (role == null) {
      return null;
    }
    TokenAuthenticator.Check check = auth.authenticate(request.getHeaders().get(HttpHeader.AUTHORIZATION));
    switch (check.decision()) {
      // A 401 closes the connection: an unauthenticated connection must not stay open to idle (see
      // ConnectionGuard), and a client with a wrong token has no use for it.
      case MISSING -> throw new Problem(401, "Unauthorized", "missing bearer token (expected: Authorization:"
          + " Bearer <token>)").header("WWW-Authenticate", "Bearer realm=\"mesh-control-plane\"")
          .header("Connection", "close");
      case UNKNOWN -> throw new Problem(401, "Unauthorized", "unknown token")
          .header("WWW-Authenticate", "Bearer realm=\"mesh-control-plane\", error=\"invalid_token\"")
          .header("Connection", "close");
      default -> {
      }
    }
    Principal p = check.principal();
    if (!p.role().grants(role)) {
      throw new Problem(403, "Forbidden", "token '" + p.name() + "' is " + p.role().label() + " (expected: "
          + (role == Role.ADMIN ? "the admin token" : "a client token or the admin token") + " for this operation)");
    }
    return p;
  }

  /** A client token writes (registers, heartbeats, deregisters, reports) only for the services it is scoped to. */
  static void requireScope(Principal p, String service) {
    if (p != null && !p.mayActFor(service)) {
      throw new Problem(403, "Forbidden", "token '" + p.name() + "' may act for " + p.scope() + " only, not for"
          + " service '" + service + "' (expected: a client token scoped to '" + service + "', or the admin token)");
    }
  }

  private void readBody(Exchange ex, Route route, String method) {
    String type = ex.header("Content-Type");
    if (type != null && !isJson(type)) {
      throw new Problem(415, "Unsupported media type", Params.quote(type) + " (expected: application/json)");
    }
    // A watch body lists service names: up to 10,000 of them may exceed the general limit.
    int limit = route == Route.WATCH ? Math.max(maxBodyBytes, WatchEndpoint.MAX_BODY_BYTES)
        : route == Route.REPORTS ? Math.max(maxBodyBytes, ReportEndpoints.MAX_BODY_BYTES) : maxBodyBytes;
    long length = ex.request.getLength();
    if (length > drainBudget(limit)) {
      ex.bodyRead = true; // not to be read through either: fail() answers at once
      throw tooLarge(length, limit); // too much to read through: answer and close at once
    }
    ex.bodyRead = true; // from here the reader below owns the body, whatever happens
    // Past the limit the reader reads on (and throws away) so that the client gets the 413, not a reset.
    BodyReader.read(ex.request, limit, drainBudget(limit), (bytes, tooLarge, failure) -> executor.execute(() -> {
      try {
        if (failure != null) {
          throw bodyFailure(failure); // the client went away, or sent a broken body
        }
        if (tooLarge) {
          throw tooLarge(length, limit); // -1 when chunked
        }
        ex.body = bytes;
        dispatch(ex, route, method);
      } catch (Throwable t) {
        fail(ex, t);
      }
    }));
  }

  private Problem bodyFailure(Throwable failure) {
    return new Problem(400, "Unreadable body", "the request body could not be read: "
        + failure.getClass().getSimpleName());
  }

  /** How much of an over-limit body is read and thrown away so that the client sees the 413. */
  private static long drainBudget(int limit) {
    return Math.max(16L * limit, 16L << 20);
  }

  private static Problem tooLarge(long length, int limit) {
    return new Problem(413, "Body too large", (length >= 0 ? length + " bytes" : "the body")
        + " (expected: at most " + limit + " bytes)")
        .header("Connection", "close");
  }

  private static boolean isJson(String contentType) {
    String t = contentType.toLowerCase(java.util.Locale.ROOT).split(";", 2)[0].trim();
    return t.equals("application/json") || (t.startsWith("application/") && t.endsWith("+json"));
  }

  private void dispatch(Exchange ex, Route route, String method) {
    switch (route) {
      case HEALTH -> services.health(ex);
      case SERVICES -> services.list(ex);
      case WATCH -> watches.watch(ex);
      case POLICY -> {
        switch (method) {
          case "GET" -> policies.get(ex);
          case "PUT" -> policies.put(ex);
          default -> policies.delete(ex);
        }
      }
      case POLICY_HISTORY -> policies.history(ex);
      case POLICY_ROLLBACK -> policies.rollback(ex);
      case INSTANCES -> {
        if (method.equals("GET")) {
          instances.list(ex);
        } else {
          instances.register(ex);
        }
      }
      case INSTANCE -> {
        if (method.equals("GET")) {
          instances.get(ex);
        } else {
          instances.deregister(ex);
        }
      }
      case INSTANCE_HEARTBEAT -> instances.heartbeat(ex);
      case REPORTS -> reports.ingest(ex);
      case TOPOLOGY -> reports.topology(ex);
      case STATS -> reports.stats(ex);
      case CLIENTS -> reports.clients(ex);
      case EVENTS -> reports.events(ex);
      case AUDIT -> audit.list(ex);
      case CERTIFICATE -> certificates.issue(ex);
      case TRUST_BUNDLE -> certificates.trustBundle(ex);
      case METRICS -> metricsEndpoint.scrape(ex);
    }
  }

  private static void fail(Exchange ex, Throwable t) {
    Problem p = toProblem(ex, t);
    if (!ex.bodyRead && hasContent(ex.request)) {
      // Refused before its body was read (wrong content type, no token, bad route…): the body may still be
      // on its way, so this connection cannot carry another request. Say so; a client that reused it would
      // otherwise find it closed under its next request.
      p.header("Connection", "close");
      long length = ex.request.getLength();
      boolean expectsContinue = "100-continue".equalsIgnoreCase(ex.header("Expect"));
      if (!expectsContinue && length <= drainBudget(0)) {
        // And read the body through (thrown away, bounded) before answering: closing with unread bytes
        // makes the kernel reset the connection, and the reset destroys the answer before the client reads
        // it (ApiFuzzIT: a 300 KB body to a refused route got "no bytes" instead of its 4xx). Not when the
        // client waits for "100 Continue" (reading would invite the upload) or the body is too large.
        ex.bodyRead = true;
        BodyReader.read(ex.request, 0, drainBudget(0), (bytes, tooLarge, failure) -> ex.sendProblem(p));
        return;
      }
    }
    ex.sendProblem(p);
  }

  private static boolean hasContent(Request request) {
    long length = request.getLength();
    return length > 0 || (length < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING));
  }

  static Problem toProblem(Exchange ex, Throwable t) {
    if (t instanceof Problem p) {
      return p;
    }
    if (t instanceof RevisionConflictException c) {
      return new Problem(409, "Revision conflict", c.getMessage()).with("currentRevision", c.current());
    }
    if (t instanceof NotFoundException n) {
      return Problem.notFound(n.getMessage());
    }
    if (t instanceof StoreException s) {
      LOG.error("store failure on {} {}: {}", ex.request.getMethod(), Request.getPathInContext(ex.request),
          s.getMessage());
      return new Problem(503, "Store unavailable", "the change was not made: " + s.getMessage())
          .header("Retry-After", "1");
    }
    LOG.error("unexpected failure on {} {}", ex.request.getMethod(), Request.getPathInContext(ex.request), t);
    return new Problem(500, "Internal error", "unexpected " + t.getClass().getSimpleName());
  }

}

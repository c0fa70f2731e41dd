package io.mesh4j.controlplane.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One request being answered: Jetty's request / response / callback plus what routing extracted, and
 * the ways to answer. Answers exactly once (a second answer is ignored), which matters for watches that
 * several parties may try to end.
 */
final class Exchange {
  static final String REVISION_HEADER = "Mesh-Revision";
  static final String EPOCH_HEADER = "Mesh-Store-Epoch";
  static final String JSON = "application/json";
  static final String PROBLEM_JSON = "application/problem+json";
  private static final HttpField CONTENT_TYPE_JSON = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, JSON);
  private static final HttpField CONTENT_TYPE_PROBLEM = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, PROBLEM_JSON);
  private static final HttpField NO_STORE = new PreEncodedHttpField(HttpHeader.CACHE_CONTROL, "no-store");

  final Request request;
  final Response response;
  final Callback callback;
  final String service;
  final String instanceId;
  private final LongSupplier revision;
  /** The store's epoch header, encoded once per store. */
  private final HttpField epoch;
  private final AtomicBoolean answered = new AtomicBoolean();
  private Query query;
  byte[] body = new byte[0];
  /** Who made the request (the token's name, role and scope); null on routes that need no token. */
  io.mesh4j.controlplane.auth.Principal principal;
  private final String remoteAddress;
  /** Whether the request's body was read (to its end, or through past the limit). */
  volatile boolean bodyRead;
  private static final java.util.Set<String> METHODS = java.util.Set.of("GET", "HEAD", "POST", "PUT", "DELETE",
      "PATCH", "OPTIONS");
  private ApiMetrics metrics;
  private String routeLabel;

  Exchange(Request request, Response response, Callback callback, String service, String instanceId,
      LongSupplier revision, HttpField epoch) {
    this.epoch = epoch;
    this.request = request;
    this.response = response;
    this.callback = callback;
    this.service = service;
    this.instanceId = instanceId;
    this.revision = revision;
    // Read now: once the client has gone, Jetty no longer tells the address.
    String remote = Request.getRemoteAddr(request);
    this.remoteAddress = remote == null ? "" : remote;
  }

  /** Counts this exchange's answer in {@code metrics} under {@code route}. */
  void observe(ApiMetrics metrics, String route) {
    this.metrics = metrics;
    this.routeLabel = route;
  }

  private void count(int status) {
    if (metrics != null) {
      String m = request.getMethod();
      // Known methods only: a client must not be able to create a series per made-up method.
      metrics.record(routeLabel, METHODS.contains(m) ? m : "other", status);
    }
  }

  String header(String name) {
    return request.getHeaders().get(name);
  }

  /** The query parameters, after checking that each is one of {@code allowed}. */
  Query query(Set<String> allowed) {
    Query query = query();
    if (query.onlyFrom(allowed)) {
      return query;
    }
    List<Problem.Violation> unknown = new ArrayList<>();
    for (String name : new TreeSet<>(query.names())) {
      if (!allowed.contains(name)) {
        unknown.add(new Problem.Violation("query." + name, "unknown parameter (expected one of: "
            + (allowed.isEmpty() ? "none" : String.join(", ", new TreeSet<>(allowed))) + ")"));
      }
    }
    throw Problem.badRequest("Invalid query", unknown);
  }

  /** The query parameters, unchecked. */
  Query query() {
    if (query == null) {
      try {
        query = Query.parse(request.getHttpURI().getQuery());
      } catch (IllegalArgumentException e) {
        throw Problem.badRequest("Invalid query", "query", "malformed query string (expected: percent-encoded"
            + " name=value pairs)");
      }
    }
    return query;
  }

  boolean isAnswered() {
    return answered.get();
  }

  void send(int status, JsonNode body) {
    send(status, Json.bytes(body), JSON);
  }

  void send(int status, byte[] bytes, String contentType) {
    if (!answered.compareAndSet(false, true)) {
      return;
    }
    response.setStatus(status);
    count(status);
    // add, not put: these are not set yet, and put would search the fields for each. Content-Length is
    // set by Jetty from the single, last write.
    response.getHeaders().add(contentType.equals(JSON) ? CONTENT_TYPE_JSON
        : contentType.equals(PROBLEM_JSON) ? CONTENT_TYPE_PROBLEM : new HttpField(HttpHeader.CONTENT_TYPE, contentType));
    response.getHeaders().add(NO_STORE);
    response.getHeaders().add(revisionField());
    response.getHeaders().add(epoch);
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }

  /** 304: nothing changed; the client asks again with the same {@code since}. */
  void sendNotModified(boolean close) {
    if (!answered.compareAndSet(false, true)) {
      return;
    }
    response.setStatus(304);
    count(304);
    response.getHeaders().add(NO_STORE);
    response.getHeaders().add(revisionField());
    response.getHeaders().add(epoch);
    if (close) {
      response.getHeaders().add(HttpFields.CONNECTION_CLOSE);
    }
    response.write(true, null, callback);
  }

  /** The {@value #EPOCH_HEADER} header of {@code store}'s epoch, to make once and share. */
  static HttpField epochField(io.mesh4j.controlplane.store.Store store) {
    return new PreEncodedHttpField(EPOCH_HEADER, store.epoch());
  }

  /** The last revision's header, shared: after a change, thousands of watch answers carry the same one. */
  private static volatile HttpField lastRevisionField = new PreEncodedHttpField(REVISION_HEADER, "0");

  private HttpField revisionField() {
    String value = Long.toString(revision.getAsLong());
    HttpField f = lastRevisionField;
    if (!f.getValue().equals(value)) {
      f = new PreEncodedHttpField(REVISION_HEADER, value);
      lastRevisionField = f;
    }
    return f;
  }

  void sendProblem(Problem p) {
    p.headers().forEach((k, v) -> response.getHeaders().put(k, v));
    send(p.status(), Json.bytes(p.toJson()), PROBLEM_JSON);
  }

  /** The client went away: nothing to write, only Jetty to tell. */
  void abandon(Throwable cause) {
    if (answered.compareAndSet(false, true)) {
      callback.failed(cause);
    }
  }

  /** Who made this request, for the audit log: the token's name (never the token) and the client's address. */
  io.mesh4j.controlplane.store.Actor actor() {
    String name = principal == null ? "anonymous" : principal.name();
    return new io.mesh4j.controlplane.store.Actor(name, remoteAddress);
  }
}

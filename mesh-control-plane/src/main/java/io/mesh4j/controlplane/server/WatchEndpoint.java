package io.mesh4j.controlplane.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.controlplane.store.Instance;
import io.mesh4j.controlplane.store.ServiceState;
import io.mesh4j.controlplane.store.Store;
import io.mesh4j.controlplane.watch.Watch;
import io.mesh4j.controlplane.watch.WatchHub;
import io.mesh4j.controlplane.watch.WatchTimeouts;
import io.mesh4j.internal.JsonText;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code GET /v1/watch?service=a&service=b&since=R&wait=30s}: the long-poll; or {@code POST /v1/watch} with
 * the same three in a JSON body, for watches of more services than a URI holds.
 *
 * <p>Steps, in this order (see {@link WatchHub} for why the order makes missed changes impossible):
 * <ol>
 *   <li>register the watch in the hub;</li>
 *   <li>read the store: if a watched service changed after {@code since} (or {@code since} is 0 and the
 *       store is not empty, or {@code since} is ahead of the store), end the watch now with the current
 *       state;</li>
 *   <li>otherwise put it on the timer wheel ({@code wait} plus up to 10% jitter, so that watchers
 *       started together do not come back together) and return without answering: Jetty holds the
 *       request, no thread does.</li>
 * </ol>
 * Whichever of change, timeout, disconnect or shutdown comes first answers; the rest do nothing.
 */
final class WatchEndpoint {
  /** Services per {@code GET} watch: their names must fit in a URI. */
  static final int MAX_SERVICES = 256;
  /** Services per {@code POST} watch (names of up to 63 characters: about 660 KB). */
  static final int MAX_BODY_SERVICES = 10_000;
  /** The body limit of a {@code POST} watch, above the general limit when that is smaller. */
  static final int MAX_BODY_BYTES = 1 << 20;
  private static final Set<String> PARAMS = Set.of("service", "since", "wait");
  private static final Set<String> BODY_FIELDS = Set.of("services", "since", "wait");

  private final Store store;
  private final WatchHub hub;
  private final WatchTimeouts timeouts;
  private final Duration defaultWait;
  private final Duration maxWait;
  /** service -> its serialized entry at its current revision, shared by every watcher answered with it. */
  private final Map<String, Fragment> fragments = new ConcurrentHashMap<>();

  private record Fragment(long policyRevision, long endpointsRevision, byte[] json) {}

  /** The last answer built: after a change, the watchers of a service mostly ask the same question. */
  private record Answer(List<String> watched, long since, long revision, byte[] body) {}

  private volatile Answer lastAnswer;

  WatchEndpoint(Store store, WatchHub hub, WatchTimeouts timeouts, Duration defaultWait, Duration maxWait) {
    this.store = store;
    this.hub = hub;
    this.timeouts = timeouts;
    this.defaultWait = defaultWait;
    this.maxWait = maxWait;
  }

  /** What a watch asks for, from the query ({@code GET}) or the body ({@code POST}). */
  private record Ask(Set<String> services, long since, Duration holdFor) {}

  void watch(Exchange ex) {
    Ask ask = ex.request.getMethod().equals("POST") ? fromBody(ex) : fromQuery(ex);
    Set<String> services = ask.services;
    long since = ask.since;
    Duration wait = ask.holdFor;
    final long from = since;
    final List<String> watched = List.copyOf(services);
    Watch watch = new Watch(watched, reason -> answer(ex, watched, from, reason));
    if (!hub.register(watch)) {
      throw new Problem(503, "Shutting down", "the control plane is stopping; watch again shortly")
          .header("Retry-After", "1");
    }
    // Registered: from here on no change to these services can go unnoticed.
    // since=0 asks for the full state; on an empty store (revision 0) there is none yet, so the watch
    // waits like any other (answering at once would make a client spin on since=0).
    long revision = store.revision();
    boolean changed = (since == 0 && revision > 0) || since > revision;
    for (String s : services) {
      changed |= store.service(s).revision() > since;
    }
    if (changed) {
      watch.end(Watch.Reason.CHANGED);
      return;
    }
    if (wait.isZero()) {
      watch.end(Watch.Reason.TIMEOUT);
      return;
    }
    long millis = wait.toMillis();
    long jittered = millis + ThreadLocalRandom.current().nextLong(millis / 10 + 1);
    timeouts.add(watch, jittered);
    ex.request.addFailureListener(failure -> watch.end(Watch.Reason.CANCELLED));
  }

  /** {@code GET /v1/watch?service=a&service=b&since=R&wait=30s}: up to {@value #MAX_SERVICES} services. */
  private Ask fromQuery(Exchange ex) {
    List<Problem.Violation> v = new ArrayList<>();
    Query q;
    try {
      q = ex.query(PARAMS);
    } catch (Problem unknownParameters) {
      // Report them together with whatever else is wrong.
      v.addAll(unknownParameters.violations());
      q = ex.query();
    }
    Set<String> services = new LinkedHashSet<>(4);
    List<String> names = q.getValues("service");
    if (names == null || names.isEmpty()) {
      v.add(new Problem.Violation("query.service", "missing (expected: one or more service=NAME parameters)"));
    } else {
      for (String n : names) {
        try {
          services.add(Params.serviceName("query.service", n));
        } catch (Problem p) {
          v.addAll(p.violations());
        }
      }
      if (services.size() > MAX_SERVICES) {
        v.add(new Problem.Violation("query.service", services.size() + " services (expected: at most "
            + MAX_SERVICES + " per GET watch; POST /v1/watch takes up to " + MAX_BODY_SERVICES + ")"));
      }
    }
    long since = 0;
    try {
      String sinceText = q.getValue("since");
      if (sinceText != null) {
        since = Params.revision("query.since", sinceText);
      }
    } catch (Problem p) {
      v.addAll(p.violations());
    }
    Duration wait = defaultWait;
    try {
      String waitText = q.getValue("wait");
      if (waitText != null) {
        wait = Params.duration("query.wait", waitText, Duration.ZERO, maxWait);
      }
    } catch (Problem p) {
      v.addAll(p.violations());
    }
    if (!v.isEmpty()) {
      throw Problem.badRequest("Invalid watch", v);
    }
    return new Ask(services, since, wait);
  }

  /**
   * {@code POST /v1/watch} with {@code {"services":["a","b"],"since":R,"wait":"30s"}}: the same watch for
   * up to {@value #MAX_BODY_SERVICES} services, which do not fit in a URI.
   */
  private Ask fromBody(Exchange ex) {
    List<Problem.Violation> v = new ArrayList<>();
    try {
      ex.query(Set.of());
    } catch (Problem queryParameters) {
      v.addAll(queryParameters.violations()); // POST takes everything from the body
    }
    JsonNode body = Json.parse(ex.body);
    if (!body.isObject()) {
      throw Problem.badRequest("Invalid watch", "$", "a JSON " + body.getNodeType().toString().toLowerCase(
          java.util.Locale.ROOT) + " (expected: an object with services, since and wait)");
    }
    for (java.util.Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!BODY_FIELDS.contains(f)) {
        v.add(new Problem.Violation(JsonText.key(f), "unknown field (expected one of: services, since, wait)"));
      }
    }
    Set<String> services = new LinkedHashSet<>();
    JsonNode names = body.get("services");
    if (names == null || !names.isArray() || names.isEmpty()) {
      v.add(new Problem.Violation("services", (names == null ? "missing" : names.isArray() ? "empty" : "not an array")
          + " (expected: an array of 1.." + MAX_BODY_SERVICES + " service names)"));
    } else if (names.size() > MAX_BODY_SERVICES) {
      v.add(new Problem.Violation("services", names.size() + " services (expected: at most " + MAX_BODY_SERVICES
          + " per watch; split them over several watches)"));
    } else {
      for (int i = 0; i < names.size(); i++) {
        JsonNode n = names.get(i);
        String path = "services[" + i + "]";
        if (!n.isTextual()) {
          v.add(new Problem.Violation(path, "not a string (expected: a service name)"));
          continue;
        }
        try {
          services.add(Params.serviceName(path, n.textValue()));
        } catch (Problem p) {
          v.addAll(p.violations());
        }
      }
    }
    long since = 0;
    JsonNode s = body.get("since");
    if (s != null && !s.isNull()) {
      if (s.isIntegralNumber() && s.canConvertToLong() && s.asLong() >= 0) {
        since = s.asLong();
      } else {
        v.add(new Problem.Violation("since", Params.quote(s.toString()) + " (expected: a revision, an integer >= 0)"));
      }
    }
    Duration wait = defaultWait;
    JsonNode w = body.get("wait");
    if (w != null && !w.isNull()) {
      try {
        wait = Params.bodyDuration("wait", w, Duration.ZERO, maxWait);
      } catch (Problem p) {
        v.addAll(p.violations());
      }
    }
    // A null is not "the default": leave the field out for that (the rule policies follow too).
    JsonText.check(body, false, (path, problem) -> {
      if (v.stream().noneMatch(x -> x.path().equals(path))) {
        v.add(new Problem.Violation(path, problem));
      }
    });
    if (!v.isEmpty()) {
      throw Problem.badRequest("Invalid watch", v);
    }
    return new Ask(services, since, wait);
  }

  private void answer(Exchange ex, List<String> watched, long since, Watch.Reason reason) {
    switch (reason) {
      case CHANGED -> {
        byte[] body = changedSince(watched, since);
        if (body == null) {
          ex.sendNotModified(false);
        } else {
          ex.send(200, body, Exchange.JSON);
        }
      }
      case TIMEOUT -> ex.sendNotModified(false);
      case SHUTDOWN -> ex.sendNotModified(true);
      case CANCELLED -> ex.abandon(new java.io.EOFException("client went away"));
    }
  }

  /**
   * {@code {"revision":N,"services":{"a":{...},...}}} with every watched service that changed after
   * {@code since} (all of them when {@code since} is 0 or ahead of the store); null when none did.
   */
  private byte[] changedSince(List<String> watched, long since) {
    long revision = store.revision();
    Answer last = lastAnswer;
    if (last != null && last.revision == revision && last.since == since && last.watched.equals(watched)) {
      return last.body;
    }
    byte[] body = build(watched, since, revision);
    lastAnswer = new Answer(watched, since, revision, body);
    return body;
  }

  private byte[] build(List<String> watched, long since, long revision) {
    boolean all = since == 0 || since > revision;
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    out.writeBytes(("{\"revision\":" + revision + ",\"epoch\":\"" + store.epoch() + "\",\"services\":{")
        .getBytes(StandardCharsets.US_ASCII));
    boolean first = true;
    for (String name : watched) {
      ServiceState s = store.service(name);
      if (!all && s.revision() <= since) {
        continue;
      }
      if (!first) {
        out.write(',');
      }
      first = false;
      // Service names are [a-z0-9-]: no escaping needed.
      out.writeBytes(("\"" + name + "\":").getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(fragment(s));
    }
    if (first) {
      return null;
    }
    out.writeBytes("}}".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  private byte[] fragment(ServiceState s) {
    Fragment f = fragments.get(s.name());
    if (f != null && f.policyRevision == s.policyRevision() && f.endpointsRevision == s.endpointsRevision()) {
      return f.json;
    }
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.set("policy", s.policyJson() == null ? n.nullNode() : PolicyEndpoints.parseStored(s.policyJson()));
    n.put("policyRevision", s.policyRevision());
    ArrayNode endpoints = n.putArray("endpoints");
    for (Instance i : s.instances()) {
      InstanceEndpoints.endpointJson(endpoints.addObject(), i.spec());
    }
    n.put("endpointsRevision", s.endpointsRevision());
    byte[] json = Json.bytes(n);
    if (s.revision() > 0) {
      // Only known services are cached, so watching made-up names cannot grow the cache.
      fragments.put(s.name(), new Fragment(s.policyRevision(), s.endpointsRevision(), json));
    }
    return json;
  }
}

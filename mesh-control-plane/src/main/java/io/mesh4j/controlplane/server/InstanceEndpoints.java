package io.mesh4j.controlplane.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.controlplane.registry.Registry;
import io.mesh4j.controlplane.store.Instance;
import io.mesh4j.controlplane.store.InstanceSpec;
import io.mesh4j.controlplane.store.Registration;
import io.mesh4j.controlplane.store.ServiceState;
import io.mesh4j.controlplane.store.Store;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.internal.JsonText;
import io.mesh4j.policy.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;

/**
 * {@code /v1/services/{name}/instances}: register with a TTL, heartbeat, deregister, list.
 */
final class InstanceEndpoints {
  static final Duration DEFAULT_TTL = Duration.ofSeconds(30);
  static final Duration MIN_TTL = Duration.ofSeconds(1);
  static final Duration MAX_TTL = Duration.ofHours(1);
  static final int MAX_LABELS = 64;
  private static final Set<String> FIELDS = Set.of("host", "port", "weight", "zone", "labels", "ttl");
  /** Host names and IPv4 literals; no spaces, slashes or '@'. */
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,252})");
  /** IPv6 literals without brackets, optionally with a zone ({@code fe80::1%eth0}). */
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f.]{0,15}){2,8}(%[A-Za-z0-9._-]{1,32})?");
  private static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]{0,62})");

  private final Store store;
  private final Registry registry;

  InstanceEndpoints(Store store, Registry registry) {
    this.store = store;
    this.registry = registry;
  }

  /** POST: 201 (new) or 200 (address already registered: same id, refreshed) {instanceId, revision, ttl}. */
  void register(Exchange ex) {
    ex.query(Set.of());
    InstanceSpec spec = parse(Json.parse(ex.body));
    Registration r = registry.register(ex.service, spec, ex.actor());
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("service", ex.service);
    out.put("instanceId", r.instance().id());
    out.put("revision", r.revision());
    out.put("ttl", Durations.format(spec.ttl()));
    ex.response.getHeaders().put(HttpHeader.LOCATION, "/v1/services/" + ex.service + "/instances/"
        + r.instance().id());
    ex.send(r.created() ? 201 : 200, out);
  }

  /** PUT heartbeat: 200 {instanceId, ttl}; 404 when the instance expired or never existed: register again. */
  void heartbeat(Exchange ex) {
    ex.query(Set.of());
    Instance i = registry.heartbeat(ex.service, ex.instanceId).orElseThrow(() -> Problem.notFound("service '"
        + ex.service + "' has no instance " + Params.quote(ex.instanceId) + " (expired or deregistered:"
        + " register again)"));
    ex.send(200, Json.MAPPER.createObjectNode().put("service", ex.service).put("instanceId", i.id())
        .put("ttl", Durations.format(i.spec().ttl())));
  }

  /** DELETE: 200 {revision}; 404 when there is no such instance. */
  void deregister(Exchange ex) {
    ex.query(Set.of());
    if (store.service(ex.service).instance(ex.instanceId).isEmpty()) {
      throw Problem.notFound("service '" + ex.service + "' has no instance " + Params.quote(ex.instanceId));
    }
    long rev = registry.deregister(ex.service, ex.instanceId, ex.actor());
    ex.send(200, Json.MAPPER.createObjectNode().put("service", ex.service).put("revision", rev));
  }

  /** GET one instance. */
  void get(Exchange ex) {
    ex.query(Set.of());
    Instance i = store.service(ex.service).instance(ex.instanceId).orElseThrow(() -> Problem.notFound(
        "service '" + ex.service + "' has no instance " + Params.quote(ex.instanceId)));
    ex.send(200, instanceJson(i));
  }

  /** GET: {service, endpointsRevision, instances: [...]}. */
  void list(Exchange ex) {
    ex.query(Set.of());
    ServiceState s = store.service(ex.service);
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("service", ex.service);
    out.put("endpointsRevision", s.endpointsRevision());
    ArrayNode a = out.putArray("instances");
    for (Instance i : s.instances()) {
      a.add(instanceJson(i));
    }
    ex.send(200, out);
  }

  private ObjectNode instanceJson(Instance i) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("instanceId", i.id());
    endpointJson(n, i.spec());
    n.put("ttl", Durations.format(i.spec().ttl()));
    registry.remaining(i.id()).ifPresent(d -> n.put("expiresIn", Durations.format(Duration.ofMillis(d.toMillis()))));
    n.put("revision", i.revision());
    return n;
  }

  /** The endpoint fields, as the watch answer carries them: host, port, weight, zone, labels. */
  static ObjectNode endpointJson(ObjectNode n, InstanceSpec s) {
    n.put("host", s.host());
    n.put("port", s.port());
    n.put("weight", s.weight());
    n.put("zone", s.zone());
    ObjectNode labels = n.putObject("labels");
    new java.util.TreeMap<>(s.labels()).forEach(labels::put);
    return n;
  }

  /** Reads a registration body, collecting every bad field. */
  static InstanceSpec parse(JsonNode body) {
    if (!body.isObject()) {
      throw Problem.badRequest("Invalid instance", "$", body.getNodeType().toString().toLowerCase()
          + " (expected: a JSON object {host, port, weight, zone, labels, ttl})");
    }
    List<Problem.Violation> v = new ArrayList<>();
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        v.add(new Problem.Violation(JsonText.key(f), "unknown field (expected one of: " + String.join(", ", new TreeSet<>(FIELDS))
            + ")"));
      }
    }
    String host = null;
    JsonNode h = body.get("host");
    if (h == null || h.isNull()) {
      v.add(new Problem.Violation("host", "missing (expected: a host name or IP address)"));
    } else if (!h.isTextual() || h.asText().length() > 253
        || !(HOST.matcher(h.asText()).matches() || IPV6.matcher(h.asText()).matches())) {
      v.add(new Problem.Violation("host", shorten(h) + " (expected: a host name or IP address, at most 253"
          + " characters; IPv6 without brackets)"));
    } else {
      host = h.asText();
    }
    int port = 0;
    JsonNode p = body.get("port");
    if (p == null || p.isNull()) {
      v.add(new Problem.Violation("port", "missing (expected: 1..65535)"));
    } else if (!p.isIntegralNumber() || !p.canConvertToInt() || p.intValue() < 1 || p.intValue() > 65_535) {
      v.add(new Problem.Violation("port", shorten(p) + " (expected: 1..65535)"));
    } else {
      port = p.intValue();
    }
    int weight = 1;
    JsonNode w = body.get("weight");
    if (w != null && !w.isNull()) {
      if (!w.isIntegralNumber() || !w.canConvertToInt() || w.intValue() < 1 || w.intValue() > Endpoint.MAX_WEIGHT) {
        v.add(new Problem.Violation("weight", shorten(w) + " (expected: 1.." + Endpoint.MAX_WEIGHT + ")"));
      } else {
        weight = w.intValue();
      }
    }
    String zone = "";
    JsonNode z = body.get("zone");
    if (z != null && !z.isNull()) {
      if (!z.isTextual() || z.asText().length() > 64) {
        v.add(new Problem.Violation("zone", shorten(z) + " (expected: a string of at most 64 characters)"));
      } else {
        zone = z.asText();
      }
    }
    Map<String, String> labels = new LinkedHashMap<>();
    JsonNode l = body.get("labels");
    if (l != null && !l.isNull()) {
      if (!l.isObject()) {
        v.add(new Problem.Violation("labels", shorten(l) + " (expected: an object of string values)"));
      } else {
        if (l.size() > MAX_LABELS) {
          v.add(new Problem.Violation("labels", l.size() + " labels (expected: at most " + MAX_LABELS + ")"));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = l.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          String path = "labels." + JsonText.key(e.getKey());
          if (!LABEL_KEY.matcher(e.getKey()).matches()) {
            v.add(new Problem.Violation(path, "bad label name (expected: 1..63 letters, digits, '.', '_', '/', '-')"));
          } else if (!e.getValue().isTextual() || e.getValue().asText().length() > 256) {
            v.add(new Problem.Violation(path, shorten(e.getValue()) + " (expected: a string of at most 256"
                + " characters)"));
          } else {
            labels.put(e.getKey(), e.getValue().asText());
          }
        }
      }
    }
    Duration ttl = DEFAULT_TTL;
    JsonNode t = body.get("ttl");
    if (t != null && !t.isNull()) {
      try {
        ttl = Params.bodyDuration("ttl", t, MIN_TTL, MAX_TTL);
      } catch (Problem e) {
        v.addAll(e.violations());
      }
    }
    // A null is not "the default": leave the field out for that (the rule policies follow too).
    JsonText.check(body, false, (path, problem) -> v.add(new Problem.Violation(path, problem)));
    if (!v.isEmpty()) {
      Map<String, Problem.Violation> byPath = new LinkedHashMap<>();
      v.forEach(x -> byPath.putIfAbsent(x.path(), x));
      throw Problem.badRequest("Invalid instance", new ArrayList<>(byPath.values()));
    }
    return new InstanceSpec(host, port, weight, zone, labels, ttl);
  }

  private static String shorten(JsonNode n) {
    return JsonText.shown(n);
  }
}

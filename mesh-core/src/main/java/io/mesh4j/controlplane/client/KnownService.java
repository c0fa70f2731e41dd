package io.mesh4j.controlplane.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.discovery.Endpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A service's state as last received from the control plane: its policy (the JSON tree, {@code null}
 * when it has none) and endpoints, each with the revision of its last change. Immutable.
 *
 * <p>The wire form is the control plane's watch entry, {@code {"policy":…, "policyRevision":N,
 * "endpoints":[{"host":…, "port":…, "weight":…, "zone":…, "labels":{…}}], "endpointsRevision":N}}; the
 * client's cache file stores the same form, so both are read and written here.
 *
 * <p>{@code history} is the control plane's store epoch the state came from ("" when unknown): what is
 * handed to the mesh is labelled with it, so revisions are compared within one history only, even when
 * the entry is handed out while the client is moving to another one. The cache stores it as
 * {@code "epoch"}.
 */
record KnownService(JsonNode policy, long policyRevision, List<Endpoint> endpoints, long endpointsRevision,
    String history) {

  /** The history of a cached entry: its own {@code epoch}, else {@code fallback}. */
  static String historyOf(JsonNode entry, String fallback) {
    JsonNode e = entry.get("epoch");
    return e != null && e.isTextual() ? e.asText() : fallback;
  }

  /** Whether the control plane said it knows nothing about the service (no policy, no instances, ever). */
  boolean unknownToControlPlane() {
    return policyRevision == 0 && endpointsRevision == 0;
  }

  /** The policy half of a watch entry (the endpoints are read apart, so a bad list can be rejected alone). */
  static JsonNode policyOf(JsonNode entry) {
    return entry.hasNonNull("policy") ? entry.get("policy") : null;
  }

  /**
   * The endpoints of a watch entry.
   *
   * @throws IllegalArgumentException when one is not a valid endpoint (the message names it)
   */
  static List<Endpoint> endpointsOf(JsonNode entry) {
    List<Endpoint> list = new ArrayList<>();
    for (JsonNode e : entry.path("endpoints")) {
      Map<String, String> labels = new HashMap<>();
      e.path("labels").fields().forEachRemaining(l -> labels.put(l.getKey(), l.getValue().asText()));
      list.add(new Endpoint(e.path("host").asText(), e.path("port").asInt(), e.path("weight").asInt(1),
          e.path("zone").asText(""), labels));
    }
    return list;
  }

  /** Writes this state as a watch entry into {@code n}. */
  void writeTo(ObjectNode n) {
    if (!history.isEmpty()) {
      n.put("epoch", history);
    }
    n.set("policy", policy);
    n.put("policyRevision", policyRevision);
    n.put("endpointsRevision", endpointsRevision);
    ArrayNode arr = n.putArray("endpoints");
    for (Endpoint ep : endpoints) {
      ObjectNode en = arr.addObject();
      en.put("host", ep.host());
      en.put("port", ep.port());
      en.put("weight", ep.weight());
      en.put("zone", ep.zone());
      ObjectNode labels = en.putObject("labels");
      ep.labels().forEach(labels::put);
    }
  }
}

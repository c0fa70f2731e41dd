package io.mesh4j.controlplane.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.controlplane.store.ServiceState;
import io.mesh4j.controlplane.store.Store;
import io.mesh4j.controlplane.watch.WatchHub;
import java.util.Set;
import java.util.function.BooleanSupplier;

/** {@code GET /v1/services} and {@code GET /v1/health}. */
final class ServiceEndpoints {
  private final Store store;
  private final WatchHub hub;
  private final BooleanSupplier stopping;

  ServiceEndpoints(Store store, WatchHub hub, BooleanSupplier stopping) {
    this.store = store;
    this.hub = hub;
    this.stopping = stopping;
  }

  /** {revision, services: [{name, hasPolicy, policyRevision, instances, endpointsRevision}]}. */
  void list(Exchange ex) {
    ex.query(Set.of());
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("revision", store.revision());
    ArrayNode a = out.putArray("services");
    for (ServiceState s : store.services()) {
      a.addObject()
          .put("name", s.name())
          .put("hasPolicy", s.policyJson() != null)
          .put("policyRevision", s.policyRevision())
          .put("instances", s.instances().size())
          .put("endpointsRevision", s.endpointsRevision());
    }
    ex.send(200, out);
  }

  /** 200 {status: "ok", revision, epoch, watchers}; 503 {status: "stopping"} during a graceful stop. No token. */
  void health(Exchange ex) {
    ex.query(Set.of());
    boolean down = stopping.getAsBoolean();
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("status", down ? "stopping" : "ok");
    out.put("revision", store.revision());
    out.put("epoch", store.epoch());
    out.put("watchers", hub.held());
    ex.send(down ? 503 : 200, out);
  }
}

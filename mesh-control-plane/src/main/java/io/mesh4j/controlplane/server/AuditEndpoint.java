package io.mesh4j.controlplane.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.controlplane.store.AuditEntry;
import io.mesh4j.controlplane.store.Store;
import java.util.List;
import java.util.Set;

/**
 * {@code GET /v1/audit?since=0&limit=100&service=orders}: every write kept in the store with who made it,
 * oldest first. Poll with {@code since} = the {@code last} of the previous answer.
 */
final class AuditEndpoint {
  private final Store store;

  AuditEndpoint(Store store) {
    this.store = store;
  }

  void list(Exchange ex) {
    Query q = ex.query(Set.of("since", "limit", "service"));
    long since = ReportEndpoints.number(q.getValue("since"), 0, 0, Long.MAX_VALUE, "query.since",
        "an audit entry number, an integer >= 0");
    int limit = (int) ReportEndpoints.number(q.getValue("limit"), 100, 1, 1_000, "query.limit", "1..1000");
    String service = q.getValue("service");
    if (service != null) {
      Params.serviceName("query.service", service);
    }
    List<AuditEntry> entries = store.audit(since, service, limit);
    ObjectNode out = Json.MAPPER.createObjectNode();
    // Where to go on from: the last entry given, or (nothing new) the newest there is, or since itself.
    out.put("last", entries.isEmpty() ? Math.max(since, service == null ? store.lastAudit() : since)
        : entries.get(entries.size() - 1).seq());
    ArrayNode a = out.putArray("entries");
    for (AuditEntry e : entries) {
      a.addObject().put("seq", e.seq()).put("revision", e.revision()).put("at", e.at().toString())
          .put("actor", e.actor()).put("address", e.address()).put("action", e.action()).put("service", e.service())
          .put("detail", e.detail());
    }
    ex.send(200, out);
  }
}

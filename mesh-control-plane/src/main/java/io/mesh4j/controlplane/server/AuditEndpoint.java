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
    // Where to go on from: the last entry given, or since itself (a write committed meanwhile comes next time).
    out.put("last", entries.isEmpty() ? since : entries.get(entries.size() - 1).seq());
    // Entries after since were dropped (only the newest are kept) when the oldest kept one is further on.
    long oldest = store.oldestAudit();
    out.put("missed", since > 0 && oldest > since + 1);
    ArrayNode a = out.putArray("entries");
    for (AuditEntry e : entries) {
      a.addObject().put("seq", e.seq()).put("revision", e.revision()).put("at", e.at().toString())
          .put("actor", e.actor()).put("address", e.address()).put("action", e.action()).put("service", e.service())
          .put("detail", e.detail());
    }
    ex.send(200, out);
  }
}

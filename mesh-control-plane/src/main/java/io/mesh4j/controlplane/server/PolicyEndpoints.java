package io.mesh4j.controlplane.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.controlplane.store.HistoryEntry;
import io.mesh4j.controlplane.store.ServiceState;
import io.mesh4j.controlplane.store.Store;
import io.mesh4j.policy.InvalidPolicyException;
import io.mesh4j.policy.PolicyCodec;
import java.util.List;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;

/**
 * {@code /v1/services/{name}/policy}: get, put (validated by mesh-core's {@link PolicyCodec}, conditional
 * on {@code If-Match}), delete, history and rollback.
 */
final class PolicyEndpoints {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PolicyEndpoints.class);
  private final Store store;

  PolicyEndpoints(Store store) {
    this.store = store;
  }

  /** GET: 200 {service, revision, policy} with ETag "revision"; 404 when the service has no policy. */
  void get(Exchange ex) {
    ex.query(Set.of());
    ServiceState s = store.service(ex.service);
    if (s.policyJson() == null) {
      throw Problem.notFound("service '" + ex.service + "' has no policy" + (s.policyRevision() > 0
          ? " (deleted at revision " + s.policyRevision() + ")" : ""));
    }
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("service", ex.service);
    out.put("revision", s.policyRevision());
    out.set("policy", parseStored(s.policyJson()));
    ex.response.getHeaders().put(HttpHeader.ETAG, "\"" + s.policyRevision() + "\"");
    ex.send(200, out);
  }

  /** PUT: body is the policy JSON. 200 {service, revision}; 400 listing every bad field; 409 when stale. */
  void put(Exchange ex) {
    ex.query(Set.of());
    // Every problem in one answer: the header's and the body's.
    List<Problem.Violation> violations = new java.util.ArrayList<>();
    long ifRevision = Store.ANY;
    try {
      ifRevision = Params.ifMatch(ex.header("If-Match"));
    } catch (Problem p) {
      violations.addAll(p.violations());
    }
    JsonNode tree;
    try {
      tree = Json.parse(ex.body);
      PolicyCodec.fromTree(tree);
    } catch (Problem p) {
      violations.addAll(p.violations());
      throw Problem.badRequest(p.title(), violations);
    } catch (InvalidPolicyException e) {
      violations.addAll(Problem.invalidPolicy(e).violations());
      throw Problem.badRequest("Invalid policy", violations);
    }
    if (!violations.isEmpty()) {
      throw Problem.badRequest("Invalid If-Match", violations);
    }
    long rev = store.putPolicy(ex.service, tree.toString(), ifRevision, ex.actor());
    LOG.info("policy of {} set at revision {} by {}", ex.service, rev, who(ex));
    ex.response.getHeaders().put(HttpHeader.ETAG, "\"" + rev + "\"");
    ex.send(200, Json.MAPPER.createObjectNode().put("service", ex.service).put("revision", rev));
  }

  /** DELETE: 200 {service, revision}; 404 when there is no policy; 409 when stale. */
  void delete(Exchange ex) {
    ex.query(Set.of());
    long rev = store.deletePolicy(ex.service, Params.ifMatch(ex.header("If-Match")), ex.actor());
    LOG.info("policy of {} deleted at revision {} by {}", ex.service, rev, who(ex));
    ex.send(200, Json.MAPPER.createObjectNode().put("service", ex.service).put("revision", rev));
  }

  /** GET history?limit=N: newest first. */
  void history(Exchange ex) {
    Query q = ex.query(Set.of("limit"));
    String limitText = q.getValue("limit");
    int limit = limitText == null ? 100 : Params.intParam("query.limit", limitText, 1, 1000);
    List<HistoryEntry> entries = store.policyHistory(ex.service, limit);
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("service", ex.service);
    ArrayNode a = out.putArray("history");
    for (HistoryEntry e : entries) {
      ObjectNode n = a.addObject();
      n.put("revision", e.revision());
      n.put("action", e.action().jsonName());
      if (e.action() == HistoryEntry.Action.ROLLBACK) {
        n.put("rolledBackTo", e.sourceRevision());
      }
      n.put("at", e.at().toString());
      n.set("policy", e.policyJson() == null ? n.nullNode() : parseStored(e.policyJson()));
    }
    ex.send(200, out);
  }

  /** POST rollback?revision=R: makes the policy of revision R current as a new revision. */
  void rollback(Exchange ex) {
    Query q = ex.query(Set.of("revision"));
    String r = q.getValue("revision");
    if (r == null) {
      throw Problem.badRequest("Invalid rollback", "query.revision", "missing (expected: the revision to roll"
          + " back to, from the policy's history)");
    }
    long to = Params.revision("query.revision", r);
    long ifRevision = Params.ifMatch(ex.header("If-Match"));
    HistoryEntry target = store.historyEntry(ex.service, to).orElseThrow(() -> Problem.notFound("service '"
        + ex.service + "' has no policy history entry at revision " + to));
    if (target.policyJson() == null) {
      throw Problem.badRequest("Invalid rollback", "query.revision", to + " deleted the policy (expected: a"
          + " revision that set one; delete the policy to go back to no policy)");
    }
    long rev = store.rollbackPolicy(ex.service, to, ifRevision, ex.actor());
    LOG.info("policy of {} rolled back to revision {} at revision {} by {}", ex.service, to, rev, who(ex));
    ex.send(200, Json.MAPPER.createObjectNode().put("service", ex.service).put("revision", rev)
        .put("rolledBackTo", to));
  }

  static JsonNode parseStored(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("stored policy is not JSON", e);
    }
  }

  private static String who(Exchange ex) {
    io.mesh4j.controlplane.store.Actor a = ex.actor();
    return "token '" + a.name() + "' from " + a.address();
  }
}

package io.mesh4j.controlplane.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.policy.InvalidPolicyException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An error answer, thrown by endpoint code and written as RFC 9457 {@code application/problem+json}:
 *
 * <pre>{@code
 * {"type": "about:blank", "title": "Invalid policy", "status": 400,
 *  "detail": "2 invalid fields",
 *  "violations": [{"path": "timeouts.total", "problem": "\"abc\" (expected: a duration such as \"250ms\")"}]}
 * }</pre>
 */
public final class Problem extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** One bad field (or parameter, or header) and what was expected. */
  public record Violation(String path, String problem) {}

  private final int status;
  private final String title;
  private final transient List<Violation> violations;
  private final transient Map<String, Object> extensions = new LinkedHashMap<>();
  private final transient Map<String, String> headers = new LinkedHashMap<>();

  public Problem(int status, String title, String detail, List<Violation> violations) {
    super(detail == null ? title : detail, null, false, false);
    this.status = status;
    this.title = title;
    this.violations = List.copyOf(violations);
  }

  public Problem(int status, String title, String detail) {
    this(status, title, detail, List.of());
  }

  /** 400 listing every bad field. */
  public static Problem badRequest(String title, List<Violation> violations) {
    return new Problem(400, title, violations.size() == 1 ? "1 invalid field" : violations.size() + " invalid fields",
        violations);
  }

  /** 400 for one bad field. */
  public static Problem badRequest(String title, String path, String problem) {
    return badRequest(title, List.of(new Violation(path, problem)));
  }

  /** 400 from a policy the codec rejected, with every violation it found. */
  public static Problem invalidPolicy(InvalidPolicyException e) {
    List<Violation> list = new ArrayList<>();
    for (InvalidPolicyException.Violation v : e.violations()) {
      list.add(new Violation(v.path(), v.problem()));
    }
    return badRequest("Invalid policy", list);
  }

  public static Problem notFound(String detail) {
    return new Problem(404, "Not found", detail);
  }

  /** Adds a member to the problem document (for example {@code currentRevision}). */
  public Problem with(String name, Object value) {
    extensions.put(name, value);
    return this;
  }

  /** Adds a response header (for example {@code Allow}, {@code Retry-After}). */
  public Problem header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  public List<Violation> violations() {
    return violations;
  }

  public Map<String, String> headers() {
    return headers;
  }

  /** The problem document. */
  public ObjectNode toJson() {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("type", "about:blank");
    n.put("title", title);
    n.put("status", status);
    if (getMessage() != null && !getMessage().equals(title)) {
      n.put("detail", getMessage());
    }
    extensions.forEach((k, v) -> n.set(k, Json.MAPPER.valueToTree(v)));
    if (!violations.isEmpty()) {
      ArrayNode a = n.putArray("violations");
      for (Violation v : violations) {
        a.addObject().put("path", v.path()).put("problem", v.problem());
      }
    }
    return n;
  }
}

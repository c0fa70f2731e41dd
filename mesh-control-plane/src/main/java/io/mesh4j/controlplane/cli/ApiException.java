package io.mesh4j.controlplane.cli;

import com.fasterxml.jackson.databind.JsonNode;

/** The server said no (or could not be reached): a readable message, with each violation on its own line. */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ApiException(String message) {
    super(message, null, false, false);
  }

  static ApiException fromProblem(int status, JsonNode problem) {
    StringBuilder sb = new StringBuilder().append(status);
    if (problem != null) {
      sb.append(' ').append(problem.path("title").asText(""));
      String detail = problem.path("detail").asText("");
      if (!detail.isEmpty()) {
        sb.append(": ").append(detail);
      }
      for (JsonNode v : problem.path("violations")) {
        sb.append(System.lineSeparator()).append("  ").append(v.path("path").asText()).append(": ")
            .append(v.path("problem").asText());
      }
      if (problem.has("currentRevision")) {
        sb.append(System.lineSeparator()).append("  current revision: ").append(problem.get("currentRevision"));
      }
    }
    return new ApiException(sb.toString());
  }
}

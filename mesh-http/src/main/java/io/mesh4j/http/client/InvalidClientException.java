package io.mesh4j.http.client;

import java.util.List;

/**
 * An interface cannot be made a mesh client. Thrown by {@link MeshClients#create}, it lists every
 * problem of the interface at once, each naming its method:
 * {@code OrdersClient.get(long): {id} in "/orders/{id}" has no @Path("id") parameter}.
 */
public class InvalidClientException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  public InvalidClientException(Class<?> type, List<String> problems) {
    super(message(type, problems));
    this.problems = List.copyOf(problems);
  }

  private static String message(Class<?> type, List<String> problems) {
    StringBuilder s = new StringBuilder(type.getName()).append(" is not a valid @MeshClient interface (")
        .append(problems.size()).append(problems.size() == 1 ? " problem)" : " problems)");
    for (String p : problems) {
      s.append("\n  - ").append(p);
    }
    return s.toString();
  }

  /** Each problem, in the order of the interface's methods. */
  public List<String> problems() {
    return problems;
  }
}

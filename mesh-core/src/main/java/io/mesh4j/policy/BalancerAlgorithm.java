package io.mesh4j.policy;

/** The endpoint-picking algorithms, by the names policy JSON uses. */
public enum BalancerAlgorithm {
  /** Power of two choices over cost = peak-EWMA latency x (pending + 1). The default. */
  P2C_PEAK_EWMA("p2c-peak-ewma"),
  /** Power of two choices over the number of requests in flight. */
  P2C_LEAST_REQUEST("p2c-least-request"),
  /** Weighted round robin. */
  ROUND_ROBIN("round-robin");

  private final String jsonName;

  BalancerAlgorithm(String jsonName) {
    this.jsonName = jsonName;
  }

  /** The name in policy JSON. */
  public String jsonName() {
    return jsonName;
  }

  /** The algorithm named {@code name}, or null. */
  public static BalancerAlgorithm fromJsonName(String name) {
    for (BalancerAlgorithm a : values()) {
      if (a.jsonName.equals(name)) {
        return a;
      }
    }
    return null;
  }

  /** The accepted names, for error messages. */
  public static String names() {
    StringBuilder sb = new StringBuilder();
    for (BalancerAlgorithm a : values()) {
      sb.append(sb.length() == 0 ? "" : ", ").append(a.jsonName);
    }
    return sb.toString();
  }
}

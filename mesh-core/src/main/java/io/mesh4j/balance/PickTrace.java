package io.mesh4j.balance;

/**
 * The balancer's reasons for one pick, filled in only when someone records them (a sampled span):
 * the decision trace. Mutable, owned by one call, never shared.
 */
public final class PickTrace {
  String algorithm;
  EndpointStats chosen;
  double chosenLoad = Double.NaN;
  EndpointStats rival;
  double rivalLoad = Double.NaN;
  int available;
  int total;
  boolean panic;

  void set(String algorithm, EndpointStats chosen, double chosenLoad, EndpointStats rival, double rivalLoad) {
    this.algorithm = algorithm;
    this.chosen = chosen;
    this.chosenLoad = chosenLoad;
    this.rival = rival;
    this.rivalLoad = rivalLoad;
  }

  /** Filled by the runtime: how many endpoints were available and whether panic mode was on. */
  public void candidates(int available, int total, boolean panic) {
    this.available = available;
    this.total = total;
    this.panic = panic;
  }

  public String algorithm() {
    return algorithm;
  }

  public EndpointStats chosen() {
    return chosen;
  }

  public EndpointStats rival() {
    return rival;
  }

  public boolean panic() {
    return panic;
  }

  /** A one-line human explanation, e.g. "p2c-peak-ewma chose 10.0.0.1:80 (load 1.2ms) over ...". */
  public String describe() {
    StringBuilder sb = new StringBuilder(96).append(algorithm).append(" chose ")
        .append(chosen == null ? "?" : chosen.endpoint().address());
    if (!Double.isNaN(chosenLoad)) {
      sb.append(" (load ").append(formatLoad(chosenLoad)).append(')');
    }
    if (rival != null && rival != chosen) {
      sb.append(" over ").append(rival.endpoint().address());
      if (!Double.isNaN(rivalLoad)) {
        sb.append(" (load ").append(formatLoad(rivalLoad)).append(')');
      }
    }
    sb.append("; ").append(available).append(" of ").append(total).append(" endpoints available");
    if (panic) {
      sb.append(", panic mode: ejected endpoints in use");
    }
    return sb.toString();
  }

  private String formatLoad(double load) {
    if ("p2c-least-request".equals(algorithm)) {
      return (long) load + " pending";
    }
    return String.format(java.util.Locale.ROOT, "%.3fms", load / 1e6);
  }
}

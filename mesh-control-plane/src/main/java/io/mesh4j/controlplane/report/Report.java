package io.mesh4j.controlplane.report;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One client's report ({@code POST /v1/reports}), as validated by the server: who it is and what it sent
 * to each destination since its previous report.
 *
 * @param service      the reporting instance's service (the caller)
 * @param instance     its instance id
 * @param address      host:port, "" when it serves nothing
 * @param version      its Mesh4j version
 * @param jvm          its JVM version
 * @param startedAt    when it started (ISO-8601, as it says)
 * @param interval     its report interval
 * @param dropped      reports it could not send so far
 * @param truncated    destinations or endpoints left out of this report to bound its size
 * @param connected    whether it is connected to the control plane
 * @param revision     the control-plane revision it has seen
 * @param revisions    the policy revision it runs, per service
 * @param destinations what it sent, per destination service
 */
public record Report(String service, String instance, String address, String version, String jvm, String startedAt,
    Duration interval, long dropped, long truncated, boolean connected, long revision, Map<String, Long> revisions,
    List<Destination> destinations) {
  public Report {
    revisions = Map.copyOf(revisions);
    destinations = List.copyOf(destinations);
  }

  /** What was sent to one destination service. */
  public record Destination(String service, long retries, long hedges, String breaker, List<EndpointTraffic> endpoints) {
    public Destination {
      endpoints = List.copyOf(endpoints);
    }
  }

  /**
   * Attempts sent to one endpoint, by outcome, and their latency histogram (counts per bucket of
   * {@code io.mesh4j.internal.report.LatencyHistogram}, dense).
   */
  public record EndpointTraffic(String address, long success, long failure, long timeout, long cancelled,
      boolean ejected, long timesEjected, long[] latency) {}
}

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

  /**
   * This report without its latency histograms (as the book keeps an instance's latest report: the
   * histograms are in the windows already).
   */
  public Report withoutLatencies() {
    List<Destination> slim = new java.util.ArrayList<>(destinations.size());
    for (Destination d : destinations) {
      slim.add(new Destination(d.service(), d.retries(), d.hedges(), d.breaker(), NO_LATENCIES, d.endpoints()));
    }
    return new Report(service, instance, address, version, jvm, startedAt, interval, dropped, truncated, connected,
        revision, revisions, slim);
  }

  private static final long[] NO_LATENCIES = new long[io.mesh4j.internal.report.LatencyHistogram.BUCKETS];

  /**
   * What was sent to one destination service: retries, hedges, the caller's breaker state, the latency
   * histogram of its attempts (counts per bucket of {@code io.mesh4j.internal.report.LatencyHistogram},
   * dense; all endpoints together) and the attempts per endpoint.
   */
  public record Destination(String service, long retries, long hedges, String breaker, long[] latency,
      List<EndpointTraffic> endpoints) {
    public Destination {
      endpoints = List.copyOf(endpoints);
    }
  }

  /** Attempts sent to one endpoint, by outcome, and whether the caller has it ejected. */
  public record EndpointTraffic(String address, long success, long failure, long timeout, long cancelled,
      boolean ejected, long timesEjected) {}
}

package io.mesh4j.discovery;

import java.util.List;
import java.util.Objects;

/**
 * An immutable snapshot of a service's endpoints, as one discovery source saw them at one revision.
 *
 * @param service  the logical service name
 * @param revision the source's revision for this snapshot (monotonic per source; 0 when the source has none)
 * @param endpoints the endpoints, without duplicates by address
 * @param history  which history of the source the revision belongs to: revisions of two histories are
 *                 not compared (see {@link io.mesh4j.policy.VersionedPolicy#history}); empty for a source
 *                 with one history
 */
public record EndpointSet(String service, long revision, List<Endpoint> endpoints, String history) {

  /** A snapshot of a source with one history. */
  public EndpointSet(String service, long revision, List<Endpoint> endpoints) {
    this(service, revision, endpoints, "");
  }

  public EndpointSet {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(history, "history");
    endpoints = List.copyOf(endpoints);
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Endpoint e : endpoints) {
      if (!seen.add(e.address())) {
        throw new IllegalArgumentException("endpoints of '" + service + "': " + e.address()
            + " appears twice (expected: each address once)");
      }
    }
  }
}

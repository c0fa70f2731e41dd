package io.mesh4j.controlplane.store;

import java.util.Set;

/** A committed change: the new global revision and the services whose state it changed. */
public record Change(long revision, Set<String> services) {
  public Change {
    services = Set.copyOf(services);
  }
}

package io.mesh4j.controlplane.store;

import java.util.Objects;

/**
 * A registered instance of a service.
 *
 * @param id       the id the registration returned; heartbeats and deregistration name it
 * @param service  the service it belongs to
 * @param spec     address, weight, zone, labels and TTL
 * @param revision the revision at which it was registered or last changed
 */
public record Instance(String id, String service, InstanceSpec spec, long revision) {
  public Instance {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(spec, "spec");
  }
}

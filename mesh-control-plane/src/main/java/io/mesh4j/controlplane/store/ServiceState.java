package io.mesh4j.controlplane.store;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The current state of one service, an immutable snapshot: its policy (as stored JSON, or none) and its
 * endpoint set, each with the global revision of its last change.
 *
 * @param name              the service name
 * @param policyJson        the policy as compact JSON, or null when the service has none (never set, or
 *                          deleted)
 * @param policyRevision    revision of the last put / delete / rollback of the policy; 0 when never set
 * @param instances         registered instances, ordered by address
 * @param endpointsRevision revision of the last change to the instance set; 0 when never changed
 */
public record ServiceState(String name, String policyJson, long policyRevision, List<Instance> instances,
    long endpointsRevision) {

  public ServiceState {
    Objects.requireNonNull(name, "name");
    instances = List.copyOf(instances);
  }

  /** A service nothing has been said about. */
  public static ServiceState empty(String name) {
    return new ServiceState(name, null, 0, List.of(), 0);
  }

  /** The revision of this service's last change of any kind. */
  public long revision() {
    return Math.max(policyRevision, endpointsRevision);
  }

  /** Whether there is anything to list: a current policy or at least one instance. */
  public boolean isVisible() {
    return policyJson != null || !instances.isEmpty();
  }

  public Optional<Instance> instance(String id) {
    return instances.stream().filter(i -> i.id().equals(id)).findFirst();
  }
}

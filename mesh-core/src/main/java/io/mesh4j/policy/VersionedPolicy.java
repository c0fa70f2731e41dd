package io.mesh4j.policy;

import java.util.Objects;

/**
 * A policy as a {@link PolicySource} delivers it: the service, the source's revision and the value.
 *
 * @param revision increases with every change the source makes; a client never goes backwards
 * @param policy   the policy, or null when the source has none (any more): the mesh default applies
 */
public record VersionedPolicy(String service, long revision, ServicePolicy policy) {
  public VersionedPolicy {
    Objects.requireNonNull(service, "service");
  }
}

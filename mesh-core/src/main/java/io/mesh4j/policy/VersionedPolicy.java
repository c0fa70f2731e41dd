package io.mesh4j.policy;

import java.util.Objects;

/**
 * A policy as a {@link PolicySource} delivers it: the service, the source's revision and the value.
 *
 * @param revision increases with every change the source makes; within one {@code history} the mesh
 *                 never goes backwards (an older revision than the one in force is ignored)
 * @param policy   the policy, or null when the source has none (any more): the mesh default applies
 * @param history  which history of the source the revision belongs to: revisions of two histories are
 *                 not compared, so the first policy of a new history applies whatever its revision (a
 *                 control plane restored from an older backup starts one). Empty for a source with one
 *                 history.
 */
public record VersionedPolicy(String service, long revision, ServicePolicy policy, String history) {
  public VersionedPolicy {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(history, "history");
  }

  /** A policy of a source with one history. */
  public VersionedPolicy(String service, long revision, ServicePolicy policy) {
    this(service, revision, policy, "");
  }
}

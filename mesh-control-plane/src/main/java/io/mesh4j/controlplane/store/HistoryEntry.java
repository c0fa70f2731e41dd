package io.mesh4j.controlplane.store;

import java.time.Instant;

/**
 * One change of a service's policy.
 *
 * @param revision       the global revision the change was made at
 * @param service        the service
 * @param action         what was done
 * @param policyJson     the policy in force after the change; null after a delete
 * @param sourceRevision for a rollback, the revision whose policy was restored; otherwise 0
 * @param at             when the change was committed (wall clock of the control plane)
 */
public record HistoryEntry(long revision, String service, Action action, String policyJson, long sourceRevision,
    Instant at) {

  /** What a history entry did. */
  public enum Action {
    PUT, DELETE, ROLLBACK;

    public String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}

package io.mesh4j.controlplane.client;

import java.time.Instant;

/**
 * What a {@link ControlPlaneClient} knows about its connection, for health checks and status pages.
 *
 * @param connected     the last exchange with the control plane succeeded
 * @param revision      the global revision the client has applied (never goes backwards within one history
 *                      of the store: a restored or another replica's store makes it start over)
 * @param servingFromCache the state in use came from the local cache file, not (yet) from the control plane
 * @param lastContact   when the control plane last answered, or null if never
 * @param lastError     the last failure, or null (never contains a token)
 * @param controlPlane  the control-plane replica the client uses now: after a failed round, already the one it
 *                      fails over to (while {@code lastError} still names the one that failed)
 */
public record ControlPlaneStatus(boolean connected, long revision, boolean servingFromCache, Instant lastContact,
    String lastError, java.net.URI controlPlane) {

  /** The status without the replica (for code written before there could be several); it is null then. */
  public ControlPlaneStatus(boolean connected, long revision, boolean servingFromCache, Instant lastContact,
      String lastError) {
    this(connected, revision, servingFromCache, lastContact, lastError, null);
  }
}

package io.mesh4j.controlplane.store;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The durable state of the control plane: per service a policy and an endpoint set, and one global
 * revision that every change increases. {@link SqliteStore} is the default; an etcd store can implement
 * the same contract for several replicas.
 *
 * <p>Contract for implementations:
 * <ul>
 *   <li>A write returns only after it is durable (it survives kill -9 of the process, and for an
 *       embedded store a power cut). A write that throws wrote nothing.</li>
 *   <li>Every write that changes something takes the next global revision; a service's
 *       {@code policyRevision} / {@code endpointsRevision} is the revision of its last change.</li>
 *   <li>Reads ({@link #revision}, {@link #service}, {@link #services}) are served from memory, never
 *       block on a write, and see a write as soon as it is acknowledged.</li>
 *   <li>Listeners are called once per committed change, in revision order, <em>after</em> the change is
 *       visible to reads. A long-poll registers itself before it reads, so between the two it cannot
 *       miss a change. Listeners must not block.</li>
 * </ul>
 *
 * <p>{@code ifRevision} arguments: {@link #ANY} writes unconditionally; {@code 0} writes only when the
 * policy does not exist (create); {@code R > 0} writes only when the current policy has revision R.
 * Otherwise {@link RevisionConflictException}.
 */
public interface Store extends AutoCloseable {

  /** {@code ifRevision}: write whatever the current revision is. */
  long ANY = -1;

  /** The global revision: that of the last committed change, 0 for an empty store. */
  long revision();

  /**
   * This store's identity as clients see it, in every answer ({@code Mesh-Store-Epoch}, and the watch
   * body's {@code epoch}): it changes whenever revisions may not continue from the ones a client has seen
   * — for {@link SqliteStore}, every time the store is opened, since a restart may be a restore from an
   * older backup. A client that sees it change fetches the whole state again ({@code since=0}) instead of
   * trusting revisions of another history. Short, printable ASCII.
   */
  String epoch();

  /** The current state of {@code service}; {@link ServiceState#empty} when nothing is known of it. */
  ServiceState service(String service);

  /** Every service with a current policy or at least one instance, ordered by name. */
  List<ServiceState> services();

  /** Every registered instance of every service (the registry's expiry clock starts from these). */
  List<Instance> instances();

  /**
   * Sets {@code service}'s policy to {@code policyJson} (already validated) and returns the new revision.
   *
   * @throws RevisionConflictException when {@code ifRevision} does not match
   */
  long putPolicy(String service, String policyJson, long ifRevision, Actor actor);

  /** {@link #putPolicy(String, String, long, Actor)} by {@link Actor#UNKNOWN}. */
  default long putPolicy(String service, String policyJson, long ifRevision) {
    return putPolicy(service, policyJson, ifRevision, Actor.UNKNOWN);
  }

  /**
   * Deletes {@code service}'s policy (clients fall back to their defaults) and returns the new revision.
   *
   * @throws NotFoundException         when the service has no policy
   * @throws RevisionConflictException when {@code ifRevision} does not match
   */
  long deletePolicy(String service, long ifRevision, Actor actor);

  /** {@link #deletePolicy(String, long, Actor)} by {@link Actor#UNKNOWN}. */
  default long deletePolicy(String service, long ifRevision) {
    return deletePolicy(service, ifRevision, Actor.UNKNOWN);
  }

  /**
   * Makes the policy that {@code service} had at {@code toRevision} current again, as a new revision.
   *
   * @throws NotFoundException         when the service's history has no entry setting a policy at
   *                                   {@code toRevision}
   * @throws RevisionConflictException when {@code ifRevision} does not match
   */
  long rollbackPolicy(String service, long toRevision, long ifRevision, Actor actor);

  /** {@link #rollbackPolicy(String, long, long, Actor)} by {@link Actor#UNKNOWN}. */
  default long rollbackPolicy(String service, long toRevision, long ifRevision) {
    return rollbackPolicy(service, toRevision, ifRevision, Actor.UNKNOWN);
  }

  /** The policy changes of {@code service}, newest first, at most {@code limit}. */
  List<HistoryEntry> policyHistory(String service, int limit);

  /** One history entry of {@code service}, if there is one at {@code revision}. */
  Optional<HistoryEntry> historyEntry(String service, long revision);

  /**
   * Registers an instance. An address ({@code host:port}) already registered for the service is updated
   * in place and keeps its id; the revision moves only when what watchers see (weight, zone, labels)
   * changed.
   */
  Registration registerInstance(String service, InstanceSpec spec, Actor actor);

  /** {@link #registerInstance(String, InstanceSpec, Actor)} by {@link Actor#UNKNOWN}. */
  default Registration registerInstance(String service, InstanceSpec spec) {
    return registerInstance(service, spec, Actor.UNKNOWN);
  }

  /**
   * Removes one instance and returns the new revision.
   *
   * @throws NotFoundException when {@code service} has no instance {@code id}
   */
  long deregisterInstance(String service, String id, Actor actor);

  /** {@link #deregisterInstance(String, String, Actor)} by {@link Actor#UNKNOWN}. */
  default long deregisterInstance(String service, String id) {
    return deregisterInstance(service, id, Actor.UNKNOWN);
  }

  /**
   * Removes the instances that exist among {@code ids} (expiry), all at one new revision, and returns
   * it; returns 0 and writes nothing when none of them exists.
   */
  long removeInstances(Collection<String> ids);

  /** Calls {@code listener} after every committed change. */
  /**
   * The audit log: every committed write (policy put / delete / rollback, instance register / deregister /
   * expiry) with who made it, oldest first, after entry {@code since}, at most {@code limit}; only
   * {@code service}'s when it is not null. Heartbeats are not writes and are not in it.
   */
  List<AuditEntry> audit(long since, String service, int limit);

  /** The oldest audit entry kept; 0 when there is none (older ones were dropped: the newest 100,000 stay). */
  long oldestAudit();

  /**
   * Adds an audit entry for something done outside the store (a certificate issued), at the current
   * revision, durably before it returns.
   */
  void recordAudit(Actor actor, String action, String service, String detail);

  /** The newest audit entry's number; 0 when there is none. */
  long lastAudit();

  void addListener(Consumer<Change> listener);

  /** Flushes and closes. Reads and writes after this fail. */
  @Override
  void close();
}

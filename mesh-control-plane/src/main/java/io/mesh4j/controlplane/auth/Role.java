package io.mesh4j.controlplane.auth;

/**
 * What a token may do, and what a request needs. Ordered: each role grants what the ones before it grant.
 */
public enum Role {
  /** Watch and read everything: dashboards, auditors, {@code meshctl get}. No write of any kind. */
  READ_ONLY,
  /**
   * What a mesh client does: read and watch everything, and register, heartbeat, deregister and report for
   * the services its token is scoped to (every service for the unscoped {@code --client-token}).
   */
  CLIENT,
  /** Everything, policy writes and rollbacks included: what an operator (or meshctl) does. */
  ADMIN;

  /** Whether a token with this role may make a request that needs {@code required}. */
  public boolean grants(Role required) {
    return compareTo(required) >= 0;
  }

  /** As written in a tokens file and in messages: {@code admin}, {@code client}, {@code read-only}. */
  public String label() {
    return this == READ_ONLY ? "read-only" : name().toLowerCase(java.util.Locale.ROOT);
  }
}

package io.mesh4j.controlplane.auth;

/** What a caller may do. The admin token carries both roles. */
public enum Role {
  /** Watch, read, register / heartbeat / deregister instances: what a mesh client does. */
  CLIENT,
  /** Change policies: what an operator (or meshctl) does. */
  ADMIN
}

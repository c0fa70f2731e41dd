package io.mesh4j.controlplane.store;

import java.util.Objects;

/**
 * Who made a write, as the audit log keeps it: the name of the token (never the token) and the client's
 * address.
 *
 * @param name    the token's name ({@code ops}, {@code orders}...), or {@code registry} for the control
 *                plane's own expiry of instances
 * @param address the client's IP address; empty when the control plane itself wrote
 */
public record Actor(String name, String address) {
  /** A write through the Java API without a caller (tests, tools embedding the store). */
  public static final Actor UNKNOWN = new Actor("unknown", "");
  /** The registry removing instances whose TTL ran out. */
  public static final Actor EXPIRY = new Actor("registry", "");

  public Actor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(address, "address");
  }
}

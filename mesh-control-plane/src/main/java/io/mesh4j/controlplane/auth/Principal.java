package io.mesh4j.controlplane.auth;

import java.util.List;
import java.util.Objects;

/**
 * Who made a request: the name of the token it carried (never the token), its role, and for a client token
 * the services it may act for.
 *
 * @param name     the token's name, as the tokens file gives it ({@code admin} and {@code client} for the two
 *                 single tokens); shown in logs and errors
 * @param role     what it may do
 * @param services the services a {@link Role#CLIENT} token may register, heartbeat, deregister and report
 *                 for: names, {@code prefix*} patterns, or {@code *} for every service; empty for the other
 *                 roles (admin acts for every service, read-only for none)
 */
public record Principal(String name, Role role, List<String> services) {
  /** The principal of every request when authentication is off ({@code --no-auth}). */
  public static final Principal ANONYMOUS_ADMIN = new Principal("anonymous", Role.ADMIN, List.of());

  public Principal {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    services = List.copyOf(services);
  }

  /** Whether this principal may write on behalf of {@code service} (register, heartbeat, report...). */
  public boolean mayActFor(String service) {
    if (role == Role.ADMIN) {
      return true;
    }
    if (role != Role.CLIENT) {
      return false;
    }
    for (String pattern : services) {
      if (pattern.endsWith("*") ? service.startsWith(pattern.substring(0, pattern.length() - 1))
          : pattern.equals(service)) {
        return true;
      }
    }
    return false;
  }

  /** The scope as messages show it: {@code [orders, shop-*]}. */
  public String scope() {
    return role == Role.ADMIN ? "[*]" : services.toString();
  }
}

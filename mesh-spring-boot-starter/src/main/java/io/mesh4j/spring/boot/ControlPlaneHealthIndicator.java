package io.mesh4j.spring.boot;

import io.mesh4j.controlplane.client.ControlPlaneClient;
import io.mesh4j.controlplane.client.ControlPlaneStatus;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The control-plane connection. UP when connected; still UP, with {@code "state": "degraded"}, while the
 * control plane is away: the mesh keeps serving traffic from the last state it had (or its cache file),
 * so restarting or taking the instance out of rotation would not help.
 */
public class ControlPlaneHealthIndicator implements HealthIndicator {
  private final ControlPlaneClient controlPlane;

  public ControlPlaneHealthIndicator(ControlPlaneClient controlPlane) {
    this.controlPlane = controlPlane;
  }

  @Override
  public Health health() {
    ControlPlaneStatus s = controlPlane.status();
    Health.Builder b = Health.up()
        .withDetail("state", s.connected() ? "connected" : "degraded")
        .withDetail("connected", s.connected())
        .withDetail("revision", s.revision())
        .withDetail("servingFromCache", s.servingFromCache());
    if (s.controlPlane() != null) {
      b.withDetail("controlPlane", s.controlPlane().toString());
    }
    if (s.lastContact() != null) {
      b.withDetail("lastContact", s.lastContact().toString());
    }
    if (s.lastError() != null) {
      b.withDetail("lastError", s.lastError());
    }
    return b.build();
  }
}

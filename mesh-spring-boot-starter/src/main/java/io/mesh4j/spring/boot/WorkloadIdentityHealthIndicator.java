package io.mesh4j.spring.boot;

import io.mesh4j.identity.IdentityStatus;
import io.mesh4j.identity.WorkloadIdentity;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The workload identity ({@code /actuator/health/meshIdentity}): UP while the certificate is valid, with
 * {@code "state": "renewal-failing"} and the last error while renewals fail (the control plane away: the
 * current certificate is kept until it expires); DOWN once it has expired, when the service can no longer
 * prove who it is and peers refuse it.
 */
public class WorkloadIdentityHealthIndicator implements HealthIndicator {
  private final WorkloadIdentity identity;

  public WorkloadIdentityHealthIndicator(WorkloadIdentity identity) {
    this.identity = identity;
  }

  @Override
  public Health health() {
    IdentityStatus s = identity.status();
    boolean valid = s.spiffeId() != null && !s.expired();
    Health.Builder b = new Health.Builder(valid ? Status.UP : Status.DOWN)
        .withDetail("state", !valid ? (s.spiffeId() == null ? "none" : "expired")
            : s.lastError() != null ? "renewal-failing" : "valid");
    if (s.spiffeId() != null) {
      b.withDetail("spiffeId", s.spiffeId().toString())
          .withDetail("serial", s.serial())
          .withDetail("notAfter", s.notAfter().toString())
          .withDetail("renewsAt", s.renewsAt().toString())
          .withDetail("renewals", s.renewals());
    }
    if (s.lastError() != null) {
      b.withDetail("lastError", s.lastError());
    }
    return b.build();
  }
}

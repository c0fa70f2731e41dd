package io.mesh4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.controlplane.ca.CertificateAuthority;
import io.mesh4j.identity.IssuedCertificate;
import io.mesh4j.identity.WorkloadIdentity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** /actuator/health/meshIdentity: UP while valid, saying when renewals fail, DOWN once expired. */
class WorkloadIdentityHealthIndicatorTest {
  @TempDir Path dir;

  /** A clock that can be moved past the certificate's end. */
  static final class MovableClock extends Clock {
    volatile Instant now = Instant.now();

    @Override
    public ZoneId getZone() {
      return ZoneId.of("UTC");
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void reportsTheIdentityAndGoesDownWhenItExpires() throws IOException {
    CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "mesh.local", Duration.ofHours(24),
        Clock.systemUTC());
    AtomicBoolean controlPlaneUp = new AtomicBoolean(true);
    MovableClock clock = new MovableClock();
    WorkloadIdentity identity = WorkloadIdentity.builder("payment", (service, csr, ttl) -> {
      if (!controlPlaneUp.get()) {
        throw new IOException("control plane http://127.0.0.1:1 unreachable");
      }
      CertificateAuthority.Issued i = ca.issue(service, Base64.getEncoder().encodeToString(csr), ttl);
      return new IssuedCertificate(List.of(i.certificate()), i.trustBundle(), i.spiffeId());
    }).ttl(Duration.ofHours(1)).clock(clock).build();
    WorkloadIdentityHealthIndicator indicator = new WorkloadIdentityHealthIndicator(identity);
    try (identity) {
      assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN);
      assertThat(indicator.health().getDetails()).containsEntry("state", "none");

      identity.renew();
      Health valid = indicator.health();
      assertThat(valid.getStatus()).isEqualTo(Status.UP);
      assertThat(valid.getDetails()).containsEntry("state", "valid")
          .containsEntry("spiffeId", "spiffe://mesh.local/service/payment").containsKeys("notAfter", "renewsAt");

      controlPlaneUp.set(false);
      clock.now = clock.now.plus(Duration.ofMinutes(45)); // renewal due (2/3 of an hour), and failing
      assertThatThrownBy(identity::renewIfDue).isInstanceOf(IOException.class);
      Health failing = indicator.health();
      assertThat(failing.getStatus()).isEqualTo(Status.UP);
      assertThat(failing.getDetails()).containsEntry("state", "renewal-failing");
      assertThat((String) failing.getDetails().get("lastError")).contains("unreachable");

      clock.now = clock.now.plus(Duration.ofHours(1)); // past notAfter
      Health expired = indicator.health();
      assertThat(expired.getStatus()).isEqualTo(Status.DOWN);
      assertThat(expired.getDetails()).containsEntry("state", "expired");
    }
  }
}

package io.mesh4j.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
  @TempDir Path dir;

  @Test
  void theRootIsCreatedOnceAndAKeyThatIsNotItsOwnIsRefused() throws Exception {
    CertificateAuthority first = CertificateAuthority.loadOrCreate(dir.resolve("a"), "mesh.local", Duration.ofHours(24),
        Clock.systemUTC());
    CertificateAuthority again = CertificateAuthority.loadOrCreate(dir.resolve("a"), "mesh.local", Duration.ofHours(24),
        Clock.systemUTC());
    assertThat(again.trustBundle()).isEqualTo(first.trustBundle());
    assertThat(first.trustBundle().get(0).getBasicConstraints()).isZero(); // a CA, no intermediate below it

    CertificateAuthority.loadOrCreate(dir.resolve("b"), "mesh.local", Duration.ofHours(24), Clock.systemUTC());
    Files.copy(dir.resolve("b").resolve(CertificateAuthority.KEY_FILE), dir.resolve("a").resolve(
        CertificateAuthority.KEY_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> CertificateAuthority.loadOrCreate(dir.resolve("a"), "mesh.local", Duration.ofHours(24),
        Clock.systemUTC())).isInstanceOf(IllegalStateException.class).hasMessageContaining("is not the key of")
        .hasMessageContaining("root-cert.pem");
  }

  @Test
  void badSettingsAreNamed() {
    assertThatThrownBy(() -> CertificateAuthority.check("Mesh Local", Duration.ofHours(1)))
        .hasMessage("trust domain: 'Mesh Local' (expected: lower-case letters, digits, '.', '-' or '_', e.g."
            + " mesh.local)");
    assertThatThrownBy(() -> CertificateAuthority.check("mesh.local", Duration.ofSeconds(1)))
        .hasMessage("certificate lifetime: 1s (expected: 10s to 30 days; default 24h)");
    assertThatThrownBy(() -> CertificateAuthority.check("mesh.local", null)).hasMessageContaining("missing");
  }
}

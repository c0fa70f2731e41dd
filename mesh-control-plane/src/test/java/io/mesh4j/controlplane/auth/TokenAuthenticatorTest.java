package io.mesh4j.controlplane.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.controlplane.auth.TokenAuthenticator.Decision;
import org.junit.jupiter.api.Test;

class TokenAuthenticatorTest {
  final TokenAuthenticator auth = TokenAuthenticator.of("admin-secret-123456", "client-secret-123456");

  @Test
  void decisions() {
    assertThat(auth.check("Bearer admin-secret-123456", Role.ADMIN)).isEqualTo(Decision.ALLOWED);
    assertThat(auth.check("bearer admin-secret-123456", Role.CLIENT)).isEqualTo(Decision.ALLOWED);
    assertThat(auth.check("Bearer client-secret-123456", Role.CLIENT)).isEqualTo(Decision.ALLOWED);
    assertThat(auth.check("Bearer client-secret-123456", Role.ADMIN)).isEqualTo(Decision.FORBIDDEN);
    assertThat(auth.check("Bearer admin-secret-12345", Role.ADMIN)).isEqualTo(Decision.UNKNOWN);
    assertThat(auth.check(null, Role.CLIENT)).isEqualTo(Decision.MISSING);
    assertThat(auth.check("Basic YWRtaW46YWRtaW4=", Role.CLIENT)).isEqualTo(Decision.MISSING);
    assertThat(TokenAuthenticator.disabled().check(null, Role.ADMIN)).isEqualTo(Decision.ALLOWED);
  }

  @Test
  void badConfigurationIsRefusedAndTokensAreNotPrinted() {
    assertThatThrownBy(() -> TokenAuthenticator.of("same-secret-123456", "same-secret-123456"))
        .hasMessageContaining("same");
    assertThatThrownBy(() -> TokenAuthenticator.of("short", "client-secret-123456")).hasMessageContaining("16");
    assertThatThrownBy(() -> TokenAuthenticator.of(null, "client-secret-123456")).hasMessageContaining("admin");
    assertThat(auth.toString()).doesNotContain("secret");
  }
}

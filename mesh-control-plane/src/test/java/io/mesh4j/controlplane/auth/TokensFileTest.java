package io.mesh4j.controlplane.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.controlplane.auth.TokenAuthenticator.Decision;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Named, scoped tokens from a file, their checks, and rotation by rewriting the file. */
class TokensFileTest {
  static final String OPS = "ops-secret-0123456789";
  static final String ORDERS = "orders-secret-0123456789";
  static final String SHOP = "shop-secret-0123456789";
  static final String VIEWER = "viewer-secret-0123456789";
  @TempDir Path dir;

  @Test
  void rolesAndScopesAreReadAndApplied() throws Exception {
    Path file = write("""
        {"tokens": [
          {"name": "ops", "role": "admin", "token": "%s"},
          {"name": "orders", "role": "client", "services": ["orders"], "token": "%s"},
          {"name": "shop", "role": "client", "services": ["shop-*", "cart"], "sha256": "%s"},
          {"name": "grafana", "role": "read-only", "token": "%s"}
        ]}""".formatted(OPS, ORDERS, sha256(SHOP), VIEWER));
    TokenAuthenticator auth = TokenAuthenticator.builder().tokensFile(file).build();
    assertThat(auth.names()).containsExactly("grafana", "ops", "orders", "shop");

    Principal orders = auth.authenticate("Bearer " + ORDERS).principal();
    assertThat(orders.name()).isEqualTo("orders");
    assertThat(orders.mayActFor("orders")).isTrue();
    assertThat(orders.mayActFor("orders-v2")).isFalse();
    assertThat(orders.mayActFor("payment")).isFalse();
    Principal shop = auth.authenticate("Bearer " + SHOP).principal();
    assertThat(shop.mayActFor("shop-web")).isTrue();
    assertThat(shop.mayActFor("cart")).isTrue();
    assertThat(shop.mayActFor("shopper")).isFalse();
    assertThat(auth.authenticate("Bearer " + OPS).principal().mayActFor("anything")).isTrue();

    assertThat(auth.check("Bearer " + VIEWER, Role.READ_ONLY)).isEqualTo(Decision.ALLOWED);
    assertThat(auth.check("Bearer " + VIEWER, Role.CLIENT)).isEqualTo(Decision.FORBIDDEN);
    assertThat(auth.check("Bearer " + ORDERS, Role.CLIENT)).isEqualTo(Decision.ALLOWED);
    assertThat(auth.check("Bearer " + ORDERS, Role.ADMIN)).isEqualTo(Decision.FORBIDDEN);
    assertThat(auth.check("Bearer " + OPS, Role.ADMIN)).isEqualTo(Decision.ALLOWED);
    assertThat(auth.check("Bearer " + OPS.substring(1), Role.READ_ONLY)).isEqualTo(Decision.UNKNOWN);
    assertThat(auth.toString()).doesNotContain("secret");
  }

  @Test
  void everyProblemInTheFileIsNamedAndNoSecretIsShown() throws Exception {
    Path file = write("""
        {"tokens": [
          {"name": "ops", "role": "root", "token": "ops-secret-0123456789"},
          {"name": "orders", "role": "client", "token": "short-secret"},
          {"name": "orders", "role": "client", "services": ["Orders!"], "token": "other-secret-0123456789"},
          {"name": "viewer", "role": "read-only", "services": ["x"], "sha256": "abc"},
          {"name": "twice", "role": "admin", "token": "ops-secret-0123456789", "sha256": "%s"},
          {"name": "copy", "role": "admin", "tokn": "x"}
        ]}""".formatted(sha256("x")));
    assertThatThrownBy(() -> TokenAuthenticator.builder().tokensFile(file).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tokens file " + file)
        .hasMessageContaining("tokens[0].role: \"root\" (expected: admin, client or read-only)")
        .hasMessageContaining("tokens[1].services: missing")
        .hasMessageContaining("tokens[1].token: too short or not text (expected: a secret of at least 16")
        .hasMessageContaining("tokens[2].name: \"orders\" is used twice")
        .hasMessageContaining("tokens[2].services[0]: \"Orders!\"")
        .hasMessageContaining("tokens[3].services: given for a read-only token")
        .hasMessageContaining("tokens[3].sha256: not 64 hex digits")
        .hasMessageContaining("tokens[4]: both token and sha256")
        .hasMessageContaining("tokens[5].\"tokn\": unknown field")
        .hasMessageContaining("tokens[5]: neither token nor sha256")
        .message().doesNotContain("secret-0123456789").doesNotContain("short-secret");

    Path broken = write("{\"tokens\": [{\"name\": \"ops\", \"token\": \"ops-secret-0123456789\"");
    assertThatThrownBy(() -> TokenAuthenticator.builder().tokensFile(broken).build())
        .hasMessageContaining("not JSON (at line").message().doesNotContain("secret");
    assertThatThrownBy(() -> TokenAuthenticator.builder().tokensFile(dir.resolve("absent.json")).build())
        .hasMessageContaining("absent.json: cannot be read (NoSuchFileException");
  }

  @Test
  void theSameSecretTwiceAcrossSourcesIsRefused() throws Exception {
    Path file = write("{\"tokens\": [{\"name\": \"orders\", \"role\": \"client\", \"services\": [\"orders\"],"
        + " \"token\": \"" + OPS + "\"}]}");
    assertThatThrownBy(() -> TokenAuthenticator.builder().adminToken(OPS).tokensFile(file).build())
        .hasMessageContaining("the same token as admin token").message().doesNotContain(OPS);
  }

  @Test
  void rewritingTheFileRotatesTokensAndABrokenRewriteKeepsTheLastGoodSet() throws Exception {
    Path file = write("{\"tokens\": [{\"name\": \"orders\", \"role\": \"client\", \"services\": [\"orders\"],"
        + " \"token\": \"" + ORDERS + "\"}]}");
    Path adminFile = dir.resolve("admin.token");
    Files.writeString(adminFile, OPS + "\n");
    TokenAuthenticator auth = TokenAuthenticator.builder().adminTokenFile(adminFile).tokensFile(file).build();
    assertThat(auth.refresh()).isFalse(); // nothing changed
    assertThat(auth.check("Bearer " + ORDERS, Role.CLIENT)).isEqualTo(Decision.ALLOWED);

    String rotated = "orders-rotated-0123456789";
    Files.writeString(file, "{\"tokens\": [{\"name\": \"orders\", \"role\": \"client\", \"services\": [\"orders\"],"
        + " \"token\": \"" + rotated + "\"}]}");
    Files.writeString(adminFile, "ops-rotated-0123456789");
    assertThat(auth.refresh()).isTrue();
    assertThat(auth.check("Bearer " + ORDERS, Role.CLIENT)).isEqualTo(Decision.UNKNOWN);
    assertThat(auth.check("Bearer " + rotated, Role.CLIENT)).isEqualTo(Decision.ALLOWED);
    assertThat(auth.check("Bearer " + OPS, Role.ADMIN)).isEqualTo(Decision.UNKNOWN);
    assertThat(auth.check("Bearer ops-rotated-0123456789", Role.ADMIN)).isEqualTo(Decision.ALLOWED);

    // Half-written or wrong: the last good set stays in use.
    Files.writeString(file, "{\"tokens\": [");
    assertThat(auth.refresh()).isFalse();
    assertThat(auth.check("Bearer " + rotated, Role.CLIENT)).isEqualTo(Decision.ALLOWED);
    Files.delete(adminFile);
    assertThat(auth.refresh()).isFalse();
    assertThat(auth.check("Bearer ops-rotated-0123456789", Role.ADMIN)).isEqualTo(Decision.ALLOWED);
  }

  private Path write(String json) throws Exception {
    Path file = Files.createTempFile(dir, "tokens", ".json");
    Files.writeString(file, json);
    return file;
  }

  static String sha256(String token) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void theExampleInTheOperationsGuideIsAValidTokensFile() throws Exception {
    Path guide = Path.of("..", "docs", "operations.md");
    String text = Files.readString(guide);
    int tokens = text.indexOf("\n## Tokens");
    int start = text.indexOf("```json\n", tokens) + "```json\n".length();
    String json = text.substring(start, text.indexOf("```", start));
    TokenAuthenticator auth = TokenAuthenticator.builder().tokensFile(write(json)).build();
    assertThat(auth.names()).containsExactly("grafana", "ops", "orders", "shop");
    assertThat(auth.check("Bearer grafana-token-change-me-0001", Role.READ_ONLY)).isEqualTo(Decision.ALLOWED);
    assertThat(auth.authenticate("Bearer shop-token-change-me-0001").principal().mayActFor("shop-web")).isTrue();
    assertThat(auth.authenticate("Bearer orders-token-change-me-0001").principal().mayActFor("shop-web")).isFalse();
  }
}

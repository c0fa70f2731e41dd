package io.mesh4j.controlplane.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Checks the bearer token of a request against the admin and client tokens.
 *
 * <p>Comparison is constant-time: the presented token and both configured tokens are reduced to
 * SHA-256 digests (so the length of a token leaks nothing either) and compared with
 * {@link MessageDigest#isEqual}, always against both tokens, whichever matches. Tokens are never logged,
 * and {@link #toString} does not show them.
 */
public final class TokenAuthenticator {

  /** The outcome of a check. */
  public enum Decision {
    /** The token grants the role. */
    ALLOWED,
    /** No token, or a malformed Authorization header: 401. */
    MISSING,
    /** A token that is neither the admin nor the client token: 401. */
    UNKNOWN,
    /** A valid client token on an admin operation: 403. */
    FORBIDDEN
  }

  private final byte[] adminDigest;
  private final byte[] clientDigest;
  private final boolean enabled;

  private TokenAuthenticator(String adminToken, String clientToken, boolean enabled) {
    this.adminDigest = enabled ? digest(adminToken) : null;
    this.clientDigest = enabled ? digest(clientToken) : null;
    this.enabled = enabled;
  }

  /**
   * Checks with these tokens.
   *
   * @throws IllegalArgumentException when a token is empty, or both are the same
   */
  public static TokenAuthenticator of(String adminToken, String clientToken) {
    if (adminToken == null || adminToken.isBlank()) {
      throw new IllegalArgumentException("admin token: empty (expected: a secret of at least 16 characters)");
    }
    if (clientToken == null || clientToken.isBlank()) {
      throw new IllegalArgumentException("client token: empty (expected: a secret of at least 16 characters)");
    }
    if (adminToken.length() < 16 || clientToken.length() < 16) {
      throw new IllegalArgumentException("tokens: too short (expected: at least 16 characters each)");
    }
    if (adminToken.equals(clientToken)) {
      throw new IllegalArgumentException("tokens: admin and client token are the same (expected: two secrets)");
    }
    return new TokenAuthenticator(adminToken, clientToken, true);
  }

  /** Lets every request through (explicit opt-in for development: {@code --no-auth}). */
  public static TokenAuthenticator disabled() {
    return new TokenAuthenticator(null, null, false);
  }

  public boolean isEnabled() {
    return enabled;
  }

  /** Decides whether a request with this {@code Authorization} header value may act as {@code required}. */
  public Decision check(String authorization, Role required) {
    if (!enabled) {
      return Decision.ALLOWED;
    }
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Decision.MISSING;
    }
    byte[] presented = digest(authorization.substring(7).trim());
    // Both comparisons always run: which token matched does not show in the timing.
    boolean admin = MessageDigest.isEqual(presented, adminDigest);
    boolean client = MessageDigest.isEqual(presented, clientDigest);
    if (admin) {
      return Decision.ALLOWED;
    }
    if (client) {
      return required == Role.CLIENT ? Decision.ALLOWED : Decision.FORBIDDEN;
    }
    return Decision.UNKNOWN;
  }

  @Override
  public String toString() {
    return enabled ? "TokenAuthenticator[admin=***, client=***]" : "TokenAuthenticator[disabled]";
  }

  /** One digest per thread: looking the algorithm up on every request costs more than hashing. */
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  });

  private static byte[] digest(String token) {
    MessageDigest md = SHA256.get();
    md.reset();
    return md.digest(token.getBytes(StandardCharsets.UTF_8));
  }
}

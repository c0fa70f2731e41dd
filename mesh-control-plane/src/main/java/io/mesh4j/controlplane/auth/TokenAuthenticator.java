package io.mesh4j.controlplane.auth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds who a request is from by its bearer token: the single admin and client tokens, and the named, scoped
 * tokens of a tokens file ({@link TokenFile}).
 *
 * <p>Tokens are kept as SHA-256 digests only, and a presented token is found by its digest in a map: the
 * lookup's timing depends on the digest, which tells nothing about how close a guess was (the comparison
 * is not on the secret's characters). Tokens are never logged, and {@link #toString} does not show them.
 *
 * <p>Rotation without a restart: {@link #refresh()} (run every few seconds by the server) reads the token
 * files again and swaps in the new set when they changed; a file that became invalid keeps the previous set
 * and is logged as an error (naming the file and field, never a token). The set is one immutable map in a
 * volatile field: a request sees the old set or the new one, never half of each.
 */
public final class TokenAuthenticator {
  private static final Logger LOG = LoggerFactory.getLogger(TokenAuthenticator.class);

  /** The outcome of a check. */
  public enum Decision {
    /** The token grants the role. */
    ALLOWED,
    /** No token, or a malformed Authorization header: 401. */
    MISSING,
    /** A token that none of the configured ones is: 401. */
    UNKNOWN,
    /** A valid token whose role does not grant the operation: 403. */
    FORBIDDEN
  }

  /**
   * The result of {@link #authenticate}: who the request is from (null unless {@link Decision#ALLOWED}).
   */
  public record Check(Decision decision, Principal principal) {}

  private static final Check MISSING = new Check(Decision.MISSING, null);
  private static final Check UNKNOWN = new Check(Decision.UNKNOWN, null);
  private static final Check ANONYMOUS = new Check(Decision.ALLOWED, Principal.ANONYMOUS_ADMIN);

  /** Where the tokens come from: fixed values and files read again on {@link #refresh()}. */
  private record Source(String kind, String value, Path file) {
    @Override
    public String toString() {
      return kind + (file == null ? " token (value hidden)" : " file " + file); // never the value
    }
  }

  private final boolean enabled;
  private final List<Source> sources;
  /** Replaced whole on a reload (see the class comment). */
  private volatile Map<ByteBuffer, Check> tokens;
  private volatile String loadedFingerprint;
  private volatile String lastError;

  private TokenAuthenticator(boolean enabled, List<Source> sources) {
    this.enabled = enabled;
    this.sources = List.copyOf(sources);
    if (enabled) {
      Loaded loaded = load();
      this.tokens = loaded.tokens;
      this.loadedFingerprint = loaded.fingerprint;
    } else {
      this.tokens = Map.of();
    }
  }

  /**
   * Checks with these two tokens: the admin token (everything) and an unscoped client token (watch, reads,
   * and the registry and reports of every service).
   *
   * @throws IllegalArgumentException when a token is empty or shorter than 16 characters, or both are the same
   */
  public static TokenAuthenticator of(String adminToken, String clientToken) {
    if (adminToken == null || adminToken.isBlank()) {
      throw new IllegalArgumentException("admin token: empty (expected: a secret of at least 16 characters)");
    }
    if (clientToken == null || clientToken.isBlank()) {
      throw new IllegalArgumentException("client token: empty (expected: a secret of at least 16 characters)");
    }
    return builder().adminToken(adminToken).clientToken(clientToken).build();
  }

  /** Lets every request through (explicit opt-in for development: {@code --no-auth}). */
  public static TokenAuthenticator disabled() {
    return new TokenAuthenticator(false, List.of());
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Collects token sources; at least one is needed. */
  public static final class Builder {
    private final List<Source> sources = new ArrayList<>();

    private Builder() {}

    /** The single admin token, as a value. */
    public Builder adminToken(String value) {
      sources.add(new Source("admin", Objects.requireNonNull(value, "admin token"), null));
      return this;
    }

    /** The single admin token, read from a file (again on every {@link #refresh()}). */
    public Builder adminTokenFile(Path file) {
      sources.add(new Source("admin", null, Objects.requireNonNull(file, "admin token file")));
      return this;
    }

    /** The single, unscoped client token, as a value. */
    public Builder clientToken(String value) {
      sources.add(new Source("client", Objects.requireNonNull(value, "client token"), null));
      return this;
    }

    /** The single, unscoped client token, read from a file (again on every {@link #refresh()}). */
    public Builder clientTokenFile(Path file) {
      sources.add(new Source("client", null, Objects.requireNonNull(file, "client token file")));
      return this;
    }

    /** Named, scoped tokens from a JSON tokens file (again on every {@link #refresh()}); see {@link TokenFile}. */
    public Builder tokensFile(Path file) {
      sources.add(new Source("tokens", null, Objects.requireNonNull(file, "tokens file")));
      return this;
    }

    /**
     * Reads every source once.
     *
     * @throws IllegalArgumentException naming the source and what is wrong (never a token's value)
     */
    public TokenAuthenticator build() {
      if (sources.isEmpty()) {
        throw new IllegalArgumentException("tokens: none given (expected: an admin token, a client token or a"
            + " tokens file)");
      }
      return new TokenAuthenticator(true, sources);
    }
  }

  public boolean isEnabled() {
    return enabled;
  }

  /** Who a request with this {@code Authorization} header value is from. */
  public Check authenticate(String authorization) {
    if (!enabled) {
      return ANONYMOUS;
    }
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return MISSING;
    }
    Check found = tokens.get(ByteBuffer.wrap(digest(authorization.substring(7).trim())));
    return found == null ? UNKNOWN : found;
  }

  /** Decides whether a request with this {@code Authorization} header value may act as {@code required}. */
  public Decision check(String authorization, Role required) {
    Check c = authenticate(authorization);
    if (c.decision() != Decision.ALLOWED) {
      return c.decision();
    }
    return c.principal().role().grants(required) ? Decision.ALLOWED : Decision.FORBIDDEN;
  }

  /**
   * Reads the token files again and swaps in the new set if they changed. A file that cannot be read or
   * became invalid leaves the current set in place and is logged (once per distinct problem).
   *
   * @return whether a new set was loaded
   */
  public boolean refresh() {
    if (!enabled || sources.stream().allMatch(s -> s.file == null)) {
      return false;
    }
    String fingerprint;
    try {
      fingerprint = fingerprint();
    } catch (IllegalArgumentException e) {
      reportError(e.getMessage());
      return false;
    }
    if (fingerprint.equals(loadedFingerprint)) {
      return false;
    }
    try {
      Loaded loaded = load();
      tokens = loaded.tokens;
      loadedFingerprint = loaded.fingerprint;
      lastError = null;
      LOG.info("tokens reloaded: {} token(s) ({})", loaded.tokens.size(), names(loaded.tokens));
      return true;
    } catch (IllegalArgumentException e) {
      reportError(e.getMessage());
      return false;
    }
  }

  /** The names of the tokens in use (never their values), sorted. */
  public List<String> names() {
    return names(tokens);
  }

  private void reportError(String message) {
    if (!message.equals(lastError)) {
      lastError = message;
      LOG.error("tokens not reloaded, the previous ones stay in use: {}", message);
    }
  }

  private record Loaded(Map<ByteBuffer, Check> tokens, String fingerprint) {}

  private Loaded load() {
    String fingerprint = fingerprint();
    Map<ByteBuffer, Check> map = new HashMap<>();
    Map<ByteBuffer, String> from = new HashMap<>();
    for (Source s : sources) {
      if (s.kind.equals("tokens")) {
        for (TokenFile.Entry e : TokenFile.read(s.file)) {
          put(map, from, e.digest(), e.principal(), "tokens file " + s.file + " (" + e.principal().name() + ")");
        }
      } else {
        String where = s.file == null ? s.kind + " token" : s.kind + " token file " + s.file;
        String value = s.value != null ? s.value.strip() : readToken(s.file, where);
        if (value.length() < TokenFile.MIN_TOKEN_LENGTH) {
          throw new IllegalArgumentException(where + ": too short (expected: at least " + TokenFile.MIN_TOKEN_LENGTH
              + " characters)");
        }
        Principal p = s.kind.equals("admin") ? new Principal("admin", Role.ADMIN, List.of())
            : new Principal("client", Role.CLIENT, List.of("*"));
        put(map, from, digest(value), p, where);
      }
    }
    return new Loaded(Map.copyOf(map), fingerprint);
  }

  private static void put(Map<ByteBuffer, Check> map, Map<ByteBuffer, String> from, byte[] digest, Principal p,
      String where) {
    ByteBuffer key = ByteBuffer.wrap(digest);
    String earlier = from.putIfAbsent(key, where);
    if (earlier != null) {
      throw new IllegalArgumentException(where + ": the same token as " + earlier
          + " (expected: a distinct secret per token; the admin and client tokens must differ)");
    }
    map.put(key, new Check(Decision.ALLOWED, p));
  }

  private static String readToken(Path file, String where) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IllegalArgumentException(where + ": cannot be read (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** A digest of every file's content: whether anything changed since the last load. */
  private String fingerprint() {
    MessageDigest md = SHA256.get();
    md.reset();
    for (Source s : sources) {
      if (s.file != null) {
        try {
          md.update(Files.readAllBytes(s.file));
        } catch (IOException e) {
          throw new IllegalArgumentException(s.kind + (s.kind.equals("tokens") ? " file " : " token file ") + s.file
              + ": cannot be read (" + e.getClass().getSimpleName() + ")");
        }
      }
      md.update((byte) 0);
    }
    return java.util.HexFormat.of().formatHex(md.digest());
  }

  private static List<String> names(Map<ByteBuffer, Check> tokens) {
    return tokens.values().stream().map(c -> c.principal().name()).sorted().toList();
  }

  @Override
  public String toString() {
    return enabled ? "TokenAuthenticator[" + tokens.size() + " tokens, values hidden]" : "TokenAuthenticator[disabled]";
  }

  /** One digest per thread: looking the algorithm up on every request costs more than hashing. */
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  });

  static byte[] digest(String token) {
    MessageDigest md = SHA256.get();
    md.reset();
    return md.digest(token.getBytes(StandardCharsets.UTF_8));
  }
}

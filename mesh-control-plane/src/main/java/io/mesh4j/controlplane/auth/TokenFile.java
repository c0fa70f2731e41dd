package io.mesh4j.controlplane.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.mesh4j.discovery.ServiceNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads a tokens file: named tokens, each with a role and, for a client token, the services it may act for.
 *
 * <pre>{@code
 * {"tokens": [
 *   {"name": "ops",     "role": "admin",     "token": "a secret of at least 16 characters"},
 *   {"name": "grafana", "role": "read-only", "sha256": "<64 hex digits: SHA-256 of the token's UTF-8>"},
 *   {"name": "orders",  "role": "client",    "services": ["orders"], "token": "..."},
 *   {"name": "shop",    "role": "client",    "services": ["shop-*"], "sha256": "..."}
 * ]}
 * }</pre>
 *
 * <p>Every problem is reported at once, by position and field, and never with a token's value.
 */
final class TokenFile {
  private static final ObjectMapper MAPPER = JsonMapper.builder().build();
  private static final Set<String> FIELDS = Set.of("name", "role", "services", "token", "sha256");
  static final int MIN_TOKEN_LENGTH = 16;

  /** One token: who it is and the SHA-256 digest of its secret. */
  record Entry(Principal principal, byte[] digest) {}

  private TokenFile() {}

  /**
   * Reads and checks the file.
   *
   * @throws IllegalArgumentException naming the file and every bad field, with what was expected
   */
  static List<Entry> read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("tokens file " + file + ": cannot be read (" + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(bytes);
    } catch (JsonProcessingException e) {
      // The location only: Jackson's message may quote the text around it, which may be a token.
      String at = e.getLocation() == null ? e.getClass().getSimpleName() : "at line " + e.getLocation().getLineNr()
          + ", column " + e.getLocation().getColumnNr();
      throw new IllegalArgumentException("tokens file " + file + ": not JSON (" + at + "; expected: {\"tokens\":"
          + " [{\"name\", \"role\", \"services\", \"token\" or \"sha256\"}, ...]})");
    } catch (IOException e) {
      throw new IllegalArgumentException("tokens file " + file + ": cannot be read (" + e.getClass().getSimpleName()
          + ")");
    }
    List<String> bad = new ArrayList<>();
    List<Entry> out = new ArrayList<>();
    JsonNode tokens = root == null ? null : root.get("tokens");
    if (tokens == null || !tokens.isArray() || tokens.isEmpty()) {
      throw new IllegalArgumentException("tokens file " + file + ": tokens: missing or empty (expected: {\"tokens\":"
          + " [{\"name\", \"role\", \"services\", \"token\" or \"sha256\"}, ...]})");
    }
    Set<String> names = new HashSet<>();
    Set<String> digests = new HashSet<>();
    HexFormat hex = HexFormat.of();
    for (int i = 0; i < tokens.size(); i++) {
      String at = "tokens[" + i + "]";
      JsonNode t = tokens.get(i);
      if (!t.isObject()) {
        bad.add(at + ": expected an object");
        continue;
      }
      for (Iterator<String> it = t.fieldNames(); it.hasNext(); ) {
        String field = it.next();
        if (!FIELDS.contains(field)) {
          bad.add(at + "." + shown(field) + ": unknown field (expected: name, role, services, token, sha256)");
        }
      }
      String name = text(t, "name");
      if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
        bad.add(at + ".name: " + (name == null ? "missing" : shown(name)) + " (expected: 1..64 letters, digits,"
            + " '.', '_' or '-')");
      } else if (!names.add(name)) {
        bad.add(at + ".name: \"" + name + "\" is used twice (expected: a name per token)");
      }
      String roleText = text(t, "role");
      Role role = null;
      for (Role r : Role.values()) {
        if (r.label().equals(roleText)) {
          role = r;
        }
      }
      if (role == null) {
        bad.add(at + ".role: " + (roleText == null ? "missing" : shown(roleText))
            + " (expected: admin, client or read-only)");
      }
      List<String> services = new ArrayList<>();
      JsonNode s = t.get("services");
      if (role == Role.CLIENT) {
        if (s == null || !s.isArray() || s.isEmpty()) {
          bad.add(at + ".services: missing (expected: the services this client token may register, heartbeat,"
              + " deregister and report for, e.g. [\"orders\"], [\"shop-*\"] or [\"*\"])");
        } else {
          for (int j = 0; j < s.size(); j++) {
            String p = s.get(j).isTextual() ? s.get(j).asText() : null;
            String base = p != null && p.endsWith("*") ? p.substring(0, p.length() - 1) : p;
            if (p == null || !(p.equals("*") || ServiceNames.isValid(base)
                || (p.endsWith("*") && base.matches("[a-z0-9][a-z0-9-]{0,62}")))) {
              bad.add(at + ".services[" + j + "]: " + (p == null ? s.get(j).getNodeType().name().toLowerCase(
                  java.util.Locale.ROOT) : shown(p)) + " (expected: a service name, a prefix followed by '*', or"
                  + " '*')");
            } else {
              services.add(p);
            }
          }
        }
      } else if (s != null && role != null) {
        bad.add(at + ".services: given for a " + role.label() + " token (expected: services only on client"
            + " tokens; admin acts for every service, read-only for none)");
      }
      JsonNode token = t.get("token");
      JsonNode sha = t.get("sha256");
      byte[] digest = null;
      if ((token == null) == (sha == null)) {
        bad.add(at + ": " + (token == null ? "neither token nor sha256" : "both token and sha256")
            + " (expected: one of them)");
      } else if (token != null) {
        if (!token.isTextual() || token.asText().strip().length() < MIN_TOKEN_LENGTH) {
          bad.add(at + ".token: too short or not text (expected: a secret of at least " + MIN_TOKEN_LENGTH
              + " characters)");
        } else {
          digest = TokenAuthenticator.digest(token.asText().strip());
        }
      } else {
        String h = sha.isTextual() ? sha.asText() : "";
        if (!h.matches("[0-9a-fA-F]{64}")) {
          bad.add(at + ".sha256: not 64 hex digits (expected: the SHA-256 of the token's UTF-8 bytes, e.g. from"
              + " 'printf %s \"$TOKEN\" | sha256sum')");
        } else {
          digest = hex.parseHex(h.toLowerCase(java.util.Locale.ROOT));
        }
      }
      if (digest != null && !digests.add(hex.formatHex(digest))) {
        bad.add(at + ": the same token as an earlier entry (expected: a distinct secret per token)");
        digest = null;
      }
      if (digest != null && role != null && name != null && bad.isEmpty()) {
        out.add(new Entry(new Principal(name, role, services), digest));
      }
    }
    if (!bad.isEmpty()) {
      throw new IllegalArgumentException("tokens file " + file + ": " + String.join("; ", bad));
    }
    return out;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  /** A value from the file, quoted and cut short (never a token: only names, roles and patterns come here). */
  private static String shown(String s) {
    String cut = s.length() > 40 ? s.substring(0, 40) + "..." : s;
    return "\"" + cut.replaceAll("\\p{Cntrl}", "?") + "\"";
  }
}

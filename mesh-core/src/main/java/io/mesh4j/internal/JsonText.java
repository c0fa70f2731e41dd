package io.mesh4j.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * The rules every JSON document the mesh accepts follows beyond JSON's own syntax, written once for the
 * policy codec and the control plane: no {@code null} where a value is expected (leave the field out
 * for its default), no control character (U+0000..U+001F, U+007F) and no unpaired surrogate in any
 * string or field name, and error messages that show a bad value short, escaped and never whole.
 *
 * <p>Why: JSON lets a string carry a NUL (U+0000) or a lone surrogate (U+DC00). Such text is not what any
 * field here means (a duration, a header name, a zone), some parsers stop at a NUL and others do not,
 * and a lone surrogate cannot be written back as UTF-8: it must be refused at the door, not stored.
 */
public final class JsonText {
  /** At most this many characters of a bad value are shown in an error. */
  public static final int SHOWN = 64;
  /** A walk reports at most this many problems: an error message stays readable and bounded. */
  public static final int MAX_PROBLEMS = 20;

  /** Receives one problem: the field's path and what is wrong with it. */
  @FunctionalInterface
  public interface Problems {
    void add(String path, String problem);
  }

  private JsonText() {}

  /**
   * Walks {@code root} and reports every string or field name with a control character or an unpaired
   * surrogate, and, when {@code nullsAllowed} is false, every {@code null} value; at most
   * {@link #MAX_PROBLEMS}. Paths are as the policy codec names fields: {@code timeouts.total},
   * {@code routes[0].match.headers}; {@code $} is the document itself.
   *
   * @return how many problems were reported
   */
  public static int check(JsonNode root, boolean nullsAllowed, Problems out) {
    int[] count = {0};
    walk(root, "", nullsAllowed, out, count);
    return count[0];
  }

  private static void walk(JsonNode n, String path, boolean nullsAllowed, Problems out, int[] count) {
    if (count[0] >= MAX_PROBLEMS) {
      return;
    }
    if (n.isNull()) {
      if (!nullsAllowed) {
        report(out, count, name(path), "null (expected: a value; leave the field out to get its default)");
      }
    } else if (n.isTextual()) {
      String bad = badText(n.textValue());
      if (bad != null) {
        report(out, count, name(path), shown(n.textValue()) + " contains " + bad);
      }
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        walk(n.get(i), name(path) + "[" + i + "]", nullsAllowed, out, count);
      }
    } else if (n.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String key = e.getKey();
        String bad = badText(key);
        String child = path.isEmpty() ? key(key) : path + "." + key(key);
        if (bad != null) {
          report(out, count, child, "the field name contains " + bad);
        } else {
          walk(e.getValue(), child, nullsAllowed, out, count);
        }
      }
    }
  }

  private static String name(String path) {
    return path.isEmpty() ? "$" : path;
  }

  private static void report(Problems out, int[] count, String path, String problem) {
    count[0]++;
    out.add(path, count[0] == MAX_PROBLEMS ? problem + "; further problems not listed" : problem);
  }

  /**
   * What is wrong with {@code s} as API text, or null when nothing is: "U+0000, a control character
   * (expected: text without control characters)" or "an unpaired surrogate U+DC00 (expected: well-formed
   * Unicode text)".
   */
  public static String badText(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return String.format("U+%04X, a control character (expected: text without control characters"
            + " U+0000..U+001F or U+007F)", (int) c);
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
          continue;
        }
        return String.format("an unpaired surrogate U+%04X (expected: well-formed Unicode text)", (int) c);
      }
      if (Character.isLowSurrogate(c)) {
        return String.format("an unpaired surrogate U+%04X (expected: well-formed Unicode text)", (int) c);
      }
    }
    return null;
  }

  /**
   * A value as an error message shows it: a JSON string quoted, control characters and surrogates
   * escaped as backslash-u and four hex digits, cut after {@link #SHOWN} characters with the full length said ("'999...'
   * (200004 characters)"), so a 200 KB value never comes back whole.
   */
  public static String shown(Object value) {
    if (value instanceof JsonNode n) {
      return n.isTextual() ? quoted(n.textValue()) : cut(n.toString());
    }
    return value instanceof String s ? quoted(s) : cut(String.valueOf(value));
  }

  private static String quoted(String s) {
    return '"' + cut(s) + '"' + (s.length() > SHOWN ? " (" + s.length() + " characters)" : "");
  }

  /** A field name as a path shows it: as it is when short and clean, else quoted, escaped and cut. */
  public static String key(String key) {
    return key.length() > SHOWN || badText(key) != null ? quoted(key) : key;
  }

  /**
   * A copy of {@code n} without its {@code null} fields and array elements, for reading documents written
   * before {@code null} was refused (a policy a control plane stored then): there a null meant "the
   * default", which is what leaving the field out means now.
   */
  public static JsonNode withoutNulls(JsonNode n) {
    if (n.isObject()) {
      com.fasterxml.jackson.databind.node.ObjectNode out = com.fasterxml.jackson.databind.node.JsonNodeFactory
          .instance.objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isNull()) {
          out.set(e.getKey(), withoutNulls(e.getValue()));
        }
      }
      return out;
    }
    if (n.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode out = com.fasterxml.jackson.databind.node.JsonNodeFactory
          .instance.arrayNode();
      for (JsonNode e : n) {
        if (!e.isNull()) {
          out.add(withoutNulls(e));
        }
      }
      return out;
    }
    return n;
  }

  /**
   * {@code s} as it is when short (up to twice {@link #SHOWN}, so that what {@link #shown} made is left
   * alone), else its first {@link #SHOWN} characters and its length.
   */
  public static String shortened(String s) {
    return s.length() <= 2 * SHOWN ? escaped(s, s.length()) : cut(s) + " (" + s.length() + " characters)";
  }

  private static String cut(String s) {
    return escaped(s, SHOWN);
  }

  /** The first {@code max} characters, control characters and surrogates escaped; "..." when cut. */
  private static String escaped(String s, int max) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), max) + 8);
    int end = Math.min(s.length(), max);
    for (int i = 0; i < end; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
        b.append(String.format("\\u%04X", (int) c));
      } else {
        b.append(c);
      }
    }
    if (s.length() > max) {
      b.append("...");
    }
    return b.toString();
  }
}

package io.mesh4j.http.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import okhttp3.HttpUrl;

/**
 * A path template ({@code "/v1/orders/{id}/lines/{line}.json"}) parsed once into segments, each a
 * sequence of literal text (kept as written, taken as already encoded) and variables; expanded per
 * call into {@link HttpUrl.Builder#addEncodedPathSegment} calls with every variable's value
 * percent-encoded, so no value can add a segment or a query.
 */
final class PathTemplate {
  /** Literal text of each part, or null where the part is a variable. */
  private final String[][] literals;
  /** Variable slot of each part (index into the values array), or -1 for literal parts. */
  private final int[][] slots;
  private final List<String> variables;
  private final String text;

  private PathTemplate(String text, String[][] literals, int[][] slots, List<String> variables) {
    this.text = text;
    this.literals = literals;
    this.slots = slots;
    this.variables = variables;
  }

  /**
   * Parses {@code template}; every problem found is added to {@code problems} (prefixed by
   * {@code where}) and null returned when there was one.
   */
  static PathTemplate parse(String template, String where, List<String> problems) {
    int before = problems.size();
    String t = template.isEmpty() ? "/" : template;
    if (!t.startsWith("/")) {
      problems.add(where + ": path \"" + template + "\" must start with '/'");
      return null;
    }
    if (t.indexOf('?') >= 0 || t.indexOf('#') >= 0) {
      problems.add(where + ": path \"" + template + "\" has a query or fragment (use @Query parameters)");
      return null;
    }
    Set<String> names = new LinkedHashSet<>();
    List<String[]> literals = new ArrayList<>();
    List<int[]> slots = new ArrayList<>();
    // "/" alone is the root: no segment. Otherwise split, keeping a trailing empty segment ("/a/").
    String[] segments = t.equals("/") ? new String[0] : t.substring(1).split("/", -1);
    for (String segment : segments) {
      List<String> partLiterals = new ArrayList<>();
      List<Integer> partSlots = new ArrayList<>();
      int i = 0;
      while (i < segment.length()) {
        int open = segment.indexOf('{', i);
        int close = segment.indexOf('}', i);
        if (close >= 0 && (open < 0 || close < open)) {
          problems.add(where + ": path \"" + template + "\" has a '}' without '{'");
          return null;
        }
        if (open < 0) {
          partLiterals.add(segment.substring(i));
          partSlots.add(-1);
          break;
        }
        if (open > i) {
          partLiterals.add(segment.substring(i, open));
          partSlots.add(-1);
        }
        if (close < 0) {
          problems.add(where + ": path \"" + template + "\" has a '{' without '}'");
          return null;
        }
        String name = segment.substring(open + 1, close);
        if (!isName(name)) {
          problems.add(where + ": path \"" + template + "\" has an invalid variable {" + name
              + "} (expected: a letter, then letters, digits, '_' or '-')");
        }
        names.add(name); // a variable used twice takes the same value twice
        partLiterals.add(null);
        partSlots.add(new ArrayList<>(names).indexOf(name));
        i = close + 1;
      }
      if (partLiterals.size() == 1 && partSlots.get(0) == -1) {
        String literal = partLiterals.get(0);
        if (literal.equals(".") || literal.equals("..") || literal.equalsIgnoreCase("%2e")
            || literal.equalsIgnoreCase("%2e%2e") || literal.equalsIgnoreCase(".%2e")
            || literal.equalsIgnoreCase("%2e.")) {
          problems.add(where + ": path \"" + template + "\" has a dot segment '" + literal + "'");
        }
      }
      literals.add(partLiterals.toArray(new String[0]));
      slots.add(partSlots.stream().mapToInt(Integer::intValue).toArray());
    }
    if (problems.size() > before) {
      return null;
    }
    return new PathTemplate(t, literals.toArray(new String[0][]), slots.toArray(new int[0][]),
        List.copyOf(names));
  }

  private static boolean isName(String s) {
    if (s.isEmpty() || !isLetter(s.charAt(0))) {
      return false;
    }
    for (int i = 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!isLetter(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-') {
        return false;
      }
    }
    return true;
  }

  private static boolean isLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  /** The variables, in order of first appearance; a variable's slot is its index here. */
  List<String> variables() {
    return variables;
  }

  /** The template as written (with the client's prefix). */
  String text() {
    return text;
  }

  /**
   * Adds the path to {@code url} (which has the root path), {@code values[slot]} for each variable.
   *
   * @throws IllegalArgumentException when a segment made of a value alone would be empty, "." or ".."
   */
  void expand(HttpUrl.Builder url, String[] values) {
    for (int s = 0; s < literals.length; s++) {
      String[] lit = literals[s];
      int[] slot = slots[s];
      String segment;
      if (lit.length == 1) {
        segment = lit[0] != null ? lit[0] : encodeSegment(values[slot[0]]);
      } else {
        StringBuilder b = new StringBuilder();
        for (int p = 0; p < lit.length; p++) {
          b.append(lit[p] != null ? lit[p] : encodeSegment(values[slot[p]]));
        }
        segment = b.toString();
      }
      if (slot.length == 1 && slot[0] >= 0) {
        String v = values[slot[0]];
        if (v.isEmpty() || v.equals(".") || v.equals("..")) {
          throw new IllegalArgumentException("@Path(\"" + variables.get(slot[0]) + "\") value '" + v
              + "' would change the path \"" + text + "\" (expected: a non-empty value other than '.' and '..')");
        }
      }
      url.addEncodedPathSegment(segment);
    }
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  /** Percent-encodes everything but RFC 3986's unreserved characters (letters, digits, - . _ ~). */
  static String encodeSegment(String value) {
    int n = value.length();
    int i = 0;
    while (i < n && isUnreserved(value.charAt(i))) {
      i++;
    }
    if (i == n) {
      return value; // the common case (ids, slugs): no copy
    }
    StringBuilder b = new StringBuilder(n + 16);
    b.append(value, 0, i);
    byte[] rest = value.substring(i).getBytes(StandardCharsets.UTF_8);
    for (byte x : rest) {
      char c = (char) (x & 0xFF);
      if (c < 0x80 && isUnreserved(c)) {
        b.append(c);
      } else {
        b.append('%').append(HEX[(x >> 4) & 0xF]).append(HEX[x & 0xF]);
      }
    }
    return b.toString();
  }

  private static boolean isUnreserved(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~';
  }

  @Override
  public String toString() {
    return text;
  }
}

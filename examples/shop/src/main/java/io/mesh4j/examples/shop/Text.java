package io.mesh4j.examples.shop;

import java.util.ArrayList;
import java.util.List;

/** Fitting text into a width: cut (a table cell, a status line) or wrapped at spaces (prose). */
final class Text {
  private Text() {}

  /** {@code s} if it fits in {@code width}, else its start and "~" in exactly {@code width} characters. */
  static String cut(String s, int width) {
    if (s.length() <= width) {
      return s;
    }
    return width <= 0 ? "" : s.substring(0, width - 1) + "~";
  }

  /**
   * {@code text} wrapped at spaces into lines of at most {@code width} characters; continuation lines
   * start with {@code indent} plus the text's own leading spaces. A word longer than a line is cut.
   */
  static List<String> wrap(String text, int width, String indent) {
    List<String> lines = new ArrayList<>();
    String lead = text.substring(0, text.length() - text.stripLeading().length());
    String rest = text.strip();
    String prefix = lead;
    String next = lead + indent;
    if (next.length() >= width / 2) {
      next = indent.length() < width / 2 ? indent : "";
    }
    while (true) {
      int room = width - prefix.length();
      if (rest.length() <= room) {
        lines.add(prefix + rest);
        return lines;
      }
      int at = rest.lastIndexOf(' ', room);
      if (at <= 0) {
        lines.add(prefix + cut(rest, room));
        at = Math.min(rest.length(), room);
        rest = rest.substring(at).strip();
        if (rest.isEmpty()) {
          return lines;
        }
      } else {
        lines.add(prefix + rest.substring(0, at).stripTrailing());
        rest = rest.substring(at + 1).strip();
      }
      prefix = next;
    }
  }

  /**
   * The items that fit on one line of {@code width}, joined by two spaces, in their order; when not all
   * fit, the last ones (the least important) are left out first. The first item is cut if it alone is too long.
   */
  static String items(List<String> items, int width) {
    List<String> kept = new ArrayList<>(items);
    while (kept.size() > 1 && String.join("  ", kept).length() > width) {
      kept.remove(kept.size() - 1);
    }
    return cut(String.join("  ", kept), width);
  }
}

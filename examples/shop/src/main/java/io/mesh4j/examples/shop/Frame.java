package io.mesh4j.examples.shop;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Draws a {@link ViewState} into a given width and height: no line longer than the width (the terminal
 * would wrap it), no more lines than the height (it would scroll). What matters most comes first: the
 * title, the table, the load line, then the most recent log lines that fit, then the legend if there is
 * room for it and a useful amount of log. Table columns that do not fit are left out, least important
 * first; prose is wrapped.
 */
final class Frame {
  /** Log lines kept on screen before the legend may take room. */
  static final int MIN_LOG_LINES = 8;

  private Frame() {}

  /** One column of the instance table; {@code rank}: 0 is kept longest. */
  private record Column(String header, int rank, boolean right, Function<ViewState.Instance, String> cell) {}

  private static final List<Column> COLUMNS = List.of(
      new Column("INSTANCE", 0, false, ViewState.Instance::name),
      new Column("VER", 8, false, ViewState.Instance::version),
      new Column("QUIRK", 6, false, ViewState.Instance::quirk),
      new Column("RPS", 1, true, i -> number(i.rate())),
      new Column("SHARE", 2, true, i -> percent(i.share())),
      new Column("P50", 7, true, i -> millis(i.p50Millis())),
      new Column("P99", 4, true, i -> millis(i.p99Millis())),
      new Column("ERR/s", 5, true, i -> number(i.errors())),
      new Column("EJECTED", 3, false, ViewState.Instance::ejected));

  /** The whole screen, at most {@code width} × {@code height}. */
  static List<String> screen(ViewState state, List<String> log, int width, int height) {
    List<String> lines = new ArrayList<>(table(state, width));
    if (lines.size() >= height) {
      return lines.subList(0, height);
    }
    List<String> legend = legend(width);
    int room = height - lines.size() - 1; // one blank line between the table and the log
    boolean withLegend = showsLegend(lines.size(), width, height);
    int logRoom = withLegend ? room - legend.size() - 1 : room;
    if (logRoom > 0) {
      lines.add("");
      lines.addAll(tail(log, width, logRoom));
    }
    if (withLegend) {
      while (lines.size() < height - legend.size() - 1) {
        lines.add("");
      }
      lines.add("");
      lines.addAll(legend);
    }
    return lines;
  }

  /** Whether {@link #screen} shows the legend: with a table of {@code tableLines}, in {@code width} × {@code height}. */
  static boolean showsLegend(int tableLines, int width, int height) {
    return height - tableLines - 1 >= legend(width).size() + 1 + MIN_LOG_LINES;
  }

  /** The title, the instance table with a line per service, and the load line, each at most {@code width}. */
  static List<String> table(ViewState state, int width) {
    List<String> lines = new ArrayList<>();
    lines.add(Text.cut(state.title(), width));
    lines.add(Text.cut(state.controlPlane(), width));
    List<ViewState.Instance> all = state.services().stream().flatMap(s -> s.instances().stream()).toList();
    List<Column> shown = fit(all, width - 2);
    int[] widths = widths(shown, all);
    lines.add(Text.cut("  " + row(shown, widths, c -> c.header()), width));
    for (ViewState.Service s : state.services()) {
      lines.add(Text.items(List.of(s.name(), "policy " + s.policy(), "retries/s " + number(s.retries()),
          "hedges/s " + number(s.hedges()), "re-sent/s " + number(s.resent()), "breaker " + s.breaker()), width));
      for (ViewState.Instance i : s.instances()) {
        lines.add(Text.cut("  " + row(shown, widths, c -> c.cell().apply(i)), width));
      }
    }
    ViewState.Load l = state.load();
    List<String> load = new ArrayList<>(List.of(
        String.format(Locale.ROOT, "load->order %s/s (target %d)", number(l.rate()), l.target()),
        "failed/s " + number(l.failed()), "p99 " + millis(l.p99Millis()), "in flight " + l.inFlight(),
        "skipped/s " + number(l.skipped()), "so far " + l.totalCalls() + " calls, " + l.totalFailed() + " failed"));
    if (l.lastFailure() != null) {
      load.add("last failure: " + l.lastFailure().replace('\n', ' '));
    }
    lines.add(Text.items(load, width));
    return lines;
  }

  /** Every column and figure explained once, wrapped to {@code width}. */
  static List<String> legend(int width) {
    List<String> lines = new ArrayList<>();
    for (String s : LEGEND) {
      lines.addAll(Text.wrap(s, width, "    "));
    }
    return lines;
  }

  private static final List<String> LEGEND = List.of(
      "LEGEND  /s: per second over the last 5 s.  Per service, from its callers' meshes:",
      "  policy rN: revision each caller runs (two while a push spreads); breaker: callers' breaker states;"
          + " retries/s: attempts re-sent after a failed one; hedges/s: backups sent while the first attempt"
          + " was in flight (HTTP and gRPC alike); re-sent/s: those of them that reached an instance.",
      "  Per instance, as it measured what it served: RPS requests/s; SHARE of its service's requests;"
          + " P50/P99 latency; ERR/s error answers; EJECTED: callers that ejected it / callers that know it"
          + " (xN: ejections so far).",
      "  load: the load generator's calls to order, end to end; skipped/s: ticks that sent nothing because"
          + " 32 calls were already in flight (the generator never queues).");

  /**
   * The last entries of {@code log}, each wrapped to {@code width}, that fit whole in {@code rows}; only
   * when the latest entry alone is taller than that, its last lines.
   */
  private static List<String> tail(List<String> log, int width, int rows) {
    List<String> out = new ArrayList<>();
    for (int i = log.size() - 1; i >= 0; i--) {
      List<String> wrapped = Text.wrap(log.get(i), width, "    ");
      if (out.size() + wrapped.size() > rows) {
        if (out.isEmpty()) {
          out.addAll(wrapped.subList(wrapped.size() - rows, wrapped.size()));
        }
        break;
      }
      out.addAll(0, wrapped);
    }
    return out;
  }

  /** The columns that fit in {@code width}: the least important left out first. */
  private static List<Column> fit(List<ViewState.Instance> rows, int width) {
    List<Column> shown = new ArrayList<>(COLUMNS);
    while (shown.size() > 1 && total(widths(shown, rows)) > width) {
      Column leastImportant = shown.get(0);
      for (Column c : shown) {
        if (c.rank() >= leastImportant.rank()) {
          leastImportant = c;
        }
      }
      shown.remove(leastImportant);
    }
    return shown;
  }

  private static int[] widths(List<Column> columns, List<ViewState.Instance> rows) {
    int[] w = new int[columns.size()];
    for (int c = 0; c < w.length; c++) {
      w[c] = columns.get(c).header().length();
      for (ViewState.Instance i : rows) {
        w[c] = Math.max(w[c], columns.get(c).cell().apply(i).length());
      }
    }
    return w;
  }

  private static int total(int[] widths) {
    int sum = 2 * (widths.length - 1);
    for (int w : widths) {
      sum += w;
    }
    return sum;
  }

  private static String row(List<Column> columns, int[] widths, Function<Column, String> cell) {
    StringBuilder b = new StringBuilder();
    for (int c = 0; c < columns.size(); c++) {
      if (c > 0) {
        b.append("  ");
      }
      String s = cell.apply(columns.get(c));
      boolean last = c == columns.size() - 1;
      if (columns.get(c).right()) {
        b.append(" ".repeat(widths[c] - s.length())).append(s);
      } else {
        b.append(s).append(last ? "" : " ".repeat(widths[c] - s.length()));
      }
    }
    return b.toString();
  }

  /** "0.4%", "33%": a small share keeps a decimal, so that steering away shows. */
  private static String percent(double share) {
    double p = 100 * share;
    return String.format(Locale.ROOT, p > 0 && p < 9.95 ? "%.1f%%" : "%.0f%%", p);
  }

  private static String number(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String millis(double ms) {
    return ms < 100 ? String.format(Locale.ROOT, "%.1fms", ms) : String.format(Locale.ROOT, "%.0fms", ms);
  }
}

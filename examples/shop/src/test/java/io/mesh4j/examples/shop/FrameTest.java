package io.mesh4j.examples.shop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The live view fits its terminal: at 80×24 and at 200×60, no line is longer than the width (the
 * terminal would wrap it) and there are no more lines than the height (it would scroll). Drawn from a
 * state as wide as the demo makes (every quirk, a killed instance, a long failure, long step banners).
 */
class FrameTest {
  private static ViewState state() {
    List<ViewState.Service> services = List.of(
        new ViewState.Service("order", "r3", "closed", 0.4, 0, 0.4, List.of(
            instance("order-1", "", 38.2, 0.76, "-"), instance("order-2", "", 12.0, 0.24, "-"))),
        new ViewState.Service("product", "r14,r15", "closed,half_open", 8.6, 11.4, 19.8, List.of(
            instance("product-1", "", 0, 0, "1/2 x12 killed"),
            instance("product-2", "slow +50ms", 0.2, 0.004, "-"),
            instance("product-3", "", 49.8, 0.996, "-"))),
        new ViewState.Service("payment", "r17", "closed", 3.9, 0, 3.1, List.of(
            instance("payment-1", "", 15.6, 0.61, "-"), instance("payment-2", "flaky 5%", 10.1, 0.39, "2/2 x3"))));
    ViewState.Load load = new ViewState.Load(49.9, 50, 0.2, 1.4, 31, 1834.5, 123_456, 12,
        "502 {\"error\": \"payment failed after 7 attempts: UNAVAILABLE: service 'payment': fault injected "
            + "(abort 503) on every attempt\", \"path\": \"/orders\", \"status\": 502, \"timestamp\": \"2026-12-07\"}");
    return new ViewState("Mesh4j shop demo  t=187s  step 3/5 fault: 20% of payment attempts aborted (503)",
        "control plane DOWN (stopped)  http://127.0.0.1:45678", services, load);
  }

  private static ViewState.Instance instance(String name, String quirk, double rate, double share, String ejected) {
    return new ViewState.Instance(name, "v1", quirk, rate, share, 1234.5, 2048.0, 12.4, ejected);
  }

  private static List<String> log() {
    List<String> log = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      log.add("");
      log.add("=== 3/5 FAULT: 20% OF PAYMENT ATTEMPTS ABORTED (503) ===");
      log.add("    The payment policy gains faults.abort 20% (injected per attempt by order's mesh). Charges are "
          + "idempotent (key), so they are retried on another instance, within the retry budget (gRPC's retries, "
          + "configured by the mesh). Expect zero failed calls.");
      log.add("    order-2's mesh: service 'product': ejected product-1 (127.0.0.1:45939) for 30000 ms (ejection #1)");
      log.add("    PASS  0 failed of 300 calls; 31 retries for 91 charges (budget allows ~156); order 5xx: 0"
          + "x".repeat(120)); // and one unbreakable word
    }
    return log;
  }

  @Test
  void fitsAnEightyByTwentyFourTerminal() {
    List<String> screen = Frame.screen(state(), log(), 80, 24);
    assertFits(screen, 80, 24);
    assertThat(String.join("\n", screen)).as("the table comes first")
        .contains("INSTANCE", "product-3", "payment-2", "load->order", "failed/s");
    assertThat(screen.get(screen.size() - 1)).as("the log fills the rest, most recent last").startsWith("    ");
  }

  @Test
  void growsWithALargerTerminalAndThenShowsEveryColumnAndTheLegend() {
    List<String> screen = Frame.screen(state(), log(), 200, 60);
    assertFits(screen, 200, 60);
    assertThat(screen).hasSize(60);
    String all = String.join("\n", screen);
    assertThat(all).contains("VER", "QUIRK", "P50", "P99", "ERR/s", "EJECTED", "slow +50ms", "1/2 x12 killed")
        .contains("LEGEND", "skipped/s:");
  }

  @Test
  void leavesOutTheLeastImportantColumnsRatherThanWrapping() {
    List<String> narrow = Frame.table(state(), 60);
    assertFits(narrow, 60, Integer.MAX_VALUE);
    String header = narrow.get(2);
    assertThat(header).contains("INSTANCE", "RPS", "SHARE").doesNotContain("VER");
    assertThat(narrow).filteredOn(l -> l.startsWith("  product-2")).singleElement()
        .satisfies(l -> assertThat(l).doesNotContain("slow"));
  }

  @Test
  void anyTerminalAtLeastTheMinimumFits() {
    for (int width : new int[] {40, 63, 80, 81, 120, 200}) {
      for (int height : new int[] {12, 17, 24, 31, 60}) {
        assertFits(Frame.screen(state(), log(), width, height), width, height);
      }
    }
  }

  @Test
  void plainLinesAreAtMostAHundredCharacters() {
    assertFits(Frame.table(state(), LiveView.PLAIN_WIDTH), LiveView.PLAIN_WIDTH, Integer.MAX_VALUE);
    assertFits(Frame.legend(LiveView.PLAIN_WIDTH), LiveView.PLAIN_WIDTH, Integer.MAX_VALUE);
    for (String line : log()) {
      assertFits(Text.wrap(line, LiveView.PLAIN_WIDTH, "    "), LiveView.PLAIN_WIDTH, Integer.MAX_VALUE);
    }
  }

  @Test
  void theSummaryFitsEightyColumns() {
    String table = ShopDemo.summaryTable(List.of(
        new ShopDemo.StepResult("5 control plane down", "all services keep serving; 0 failed calls",
            "all 8 meshes disconnected; 0 failed of 1000 calls; order 1000, product 1700, payment 300 requests served",
            true, Map.of())));
    assertFits(table.lines().toList(), ShopDemo.SUMMARY_WIDTH, Integer.MAX_VALUE);
  }

  @Test
  void terminalSizeComesFromTheEnvironmentOrSttyElseEightyByTwentyFour() {
    assertThat(TerminalSize.detect(Map.of("COLUMNS", "132", "LINES", "43"), false)).isEqualTo(new TerminalSize(132, 43));
    assertThat(TerminalSize.detect(Map.of("COLUMNS", "20", "LINES", "5"), false)).isEqualTo(TerminalSize.MIN);
    assertThat(TerminalSize.detect(Map.of("COLUMNS", "wide"), false)).isEqualTo(TerminalSize.DEFAULT);
    assertThat(TerminalSize.detect(Map.of(), false)).isEqualTo(new TerminalSize(80, 24));
    assertThat(TerminalSize.parseStty("50 160\n")).isEqualTo(new TerminalSize(160, 50));
    assertThat(TerminalSize.parseStty("stty: /dev/tty: No such device")).isNull();
  }

  private static void assertFits(List<String> lines, int width, int height) {
    assertThat(lines.size()).as("lines (height %d)", height).isLessThanOrEqualTo(height);
    for (String line : lines) {
      assertThat(line.length()).as("length of line '%s' (width %d)", line, width).isLessThanOrEqualTo(width);
    }
  }
}

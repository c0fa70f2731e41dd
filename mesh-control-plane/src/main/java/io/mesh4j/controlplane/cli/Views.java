package io.mesh4j.controlplane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code meshctl topology}, {@code meshctl stat} and {@code meshctl clients}: the control plane's views of
 * the mesh, as tables.
 */
final class Views {
  private Views() {}

  @Command(name = "topology", description = "Print the edges between services (caller -> callee) with their rate,"
      + " success rate and latency over a window, from the clients' reports.")
  static final class Topology implements Callable<Integer> {
    @ParentCommand Meshctl root;

    @Option(names = "--window", defaultValue = "1m", description = "10s..10m (default ${DEFAULT-VALUE}).")
    String window;

    @Option(names = "--json", description = "Print the control plane's JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() throws IOException {
      ApiClient.Reply r = root.client().get("/v1/topology?window=" + ApiClient.enc(window), Duration.ofSeconds(30));
      if (json) {
        root.out().println(Meshctl.pretty(r.body()));
        return 0;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"FROM", "TO", "RPS", "SUCCESS", "P50", "P99", "REQUESTS", "RETRIES", "HEDGES"});
      for (JsonNode e : r.body().path("edges")) {
        rows.add(new String[] {e.path("from").asText(), e.path("to").asText(),
            String.format(Locale.ROOT, "%.2f", e.path("requestsPerSecond").asDouble()),
            percent(e.path("successRate")),
            millis(e.path("p50Ms")), millis(e.path("p99Ms")), e.path("requests").asText(),
            e.path("retries").asText(), e.path("hedges").asText()});
      }
      Meshctl.table(root.out(), rows);
      int n = r.body().path("edges").size();
      root.out().println(n + (n == 1 ? " edge" : " edges") + " over " + r.body().path("window").asText());
      return 0;
    }
  }

  @Command(name = "stat", description = "Print one service's golden metrics over a window: its callers and callees"
      + " (rate, success, latency) and its endpoints, from the clients' reports.")
  static final class Stat implements Callable<Integer> {
    @ParentCommand Meshctl root;

    @picocli.CommandLine.Parameters(paramLabel = "SERVICE") String service;

    @Option(names = "--window", defaultValue = "1m", description = "10s..10m (default ${DEFAULT-VALUE}).")
    String window;

    @Option(names = "--json", description = "Print the control plane's JSON instead of tables.")
    boolean json;

    @Override
    public Integer call() throws IOException {
      ApiClient.Reply r = root.client().get("/v1/stats?service=" + ApiClient.enc(service) + "&window="
          + ApiClient.enc(window), Duration.ofSeconds(30));
      JsonNode b = r.body();
      if (json) {
        root.out().println(Meshctl.pretty(b));
        return 0;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"DIRECTION", "SERVICE", "RPS", "SUCCESS", "P50", "P99", "REQUESTS", "RETRIES"});
      for (String direction : List.of("callers", "callees")) {
        for (JsonNode e : b.path(direction)) {
          rows.add(new String[] {direction.equals("callers") ? "from" : "to", e.path("service").asText(),
              String.format(Locale.ROOT, "%.2f", e.path("requestsPerSecond").asDouble()), percent(e.path("successRate")),
              millis(e.path("p50Ms")), millis(e.path("p99Ms")), e.path("requests").asText(), e.path("retries").asText()});
        }
      }
      root.out().println(service + " over " + b.path("window").asText());
      Meshctl.table(root.out(), rows);
      List<String[]> endpoints = new ArrayList<>();
      endpoints.add(new String[] {"ENDPOINT", "ATTEMPTS", "SUCCESS", "EJECTED-BY"});
      for (JsonNode e : b.path("endpoints")) {
        endpoints.add(new String[] {e.path("address").asText(), e.path("attempts").asText(),
            percent(e.path("successRate")), e.path("ejectedBy").asText()});
      }
      root.out().println();
      Meshctl.table(root.out(), endpoints);
      return 0;
    }
  }

  @Command(name = "clients", description = "Print the instances that report to the control plane: version,"
      + " last report, the policy revisions they run, and whether they are stale.")
  static final class Clients implements Callable<Integer> {
    @ParentCommand Meshctl root;

    @Option(names = "--json", description = "Print the control plane's JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() throws IOException {
      ApiClient.Reply r = root.client().get("/v1/clients", Duration.ofSeconds(30));
      if (json) {
        root.out().println(Meshctl.pretty(r.body()));
        return 0;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"SERVICE", "INSTANCE", "ADDRESS", "VERSION", "LAST-REPORT", "CONNECTED", "STALE",
          "BEHIND"});
      for (JsonNode c : r.body().path("clients")) {
        List<String> behind = new ArrayList<>();
        c.path("behind").fields().forEachRemaining(e -> behind.add(e.getKey() + " " + e.getValue().path("applied")
            .asLong() + "<" + e.getValue().path("current").asLong()));
        rows.add(new String[] {c.path("service").asText(), c.path("instance").asText(),
            c.path("address").asText().isEmpty() ? "-" : c.path("address").asText(), c.path("version").asText(),
            c.path("lastReportAgoMs").asLong() / 1000 + "s ago", c.path("connected").asBoolean() ? "yes" : "no",
            c.path("stale").asBoolean() ? "STALE" : "no", behind.isEmpty() ? "-" : String.join(",", behind)});
      }
      Meshctl.table(root.out(), rows);
      return 0;
    }
  }

  private static String percent(JsonNode n) {
    return n.isNull() || n.isMissingNode() ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * n.asDouble());
  }

  private static String millis(JsonNode n) {
    return n.isNull() || n.isMissingNode() ? "-" : String.format(Locale.ROOT, "%.1fms", n.asDouble());
  }
}

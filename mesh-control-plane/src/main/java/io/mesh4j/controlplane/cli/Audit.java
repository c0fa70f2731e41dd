package io.mesh4j.controlplane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code meshctl audit}: who changed what, from the control plane's audit log, oldest first. */
@Command(name = "audit", description = "List writes (policies, instances) with the token that made them, oldest"
    + " first.")
final class Audit implements Callable<Integer> {
  @ParentCommand Meshctl root;
  @Option(names = "--service", description = "Only this service's.") String service;
  @Option(names = "--since", defaultValue = "0", description = "After this entry number (default ${DEFAULT-VALUE}).")
  long since;
  @Option(names = "--limit", defaultValue = "100", description = "At most this many, 1..1000 (default"
      + " ${DEFAULT-VALUE}).")
  int limit;
  @Option(names = "--json", description = "Print the server's JSON.") boolean json;

  @Override
  public Integer call() throws IOException {
    String query = "/v1/audit?since=" + since + "&limit=" + limit
        + (service == null ? "" : "&service=" + ApiClient.enc(service));
    ApiClient.Reply r = root.client().get(query, Duration.ofSeconds(30));
    if (json) {
      root.out().println(Meshctl.pretty(r.body()));
      return 0;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"SEQ", "REVISION", "AT", "ACTOR", "FROM", "ACTION", "SERVICE", "DETAIL"});
    for (JsonNode e : r.body().path("entries")) {
      rows.add(new String[] {e.path("seq").asText(), e.path("revision").asText(), e.path("at").asText(),
          e.path("actor").asText(), e.path("address").asText().isEmpty() ? "-" : e.path("address").asText(),
          e.path("action").asText(), e.path("service").asText(), e.path("detail").asText()});
    }
    Meshctl.table(root.out(), rows);
    root.out().println("last " + r.body().path("last").asLong());
    return 0;
  }
}

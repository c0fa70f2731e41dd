package io.mesh4j.controlplane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * meshctl: the control plane from a terminal.
 *
 * <pre>
 * meshctl --url http://127.0.0.1:8500 --token $TOKEN get orders
 * meshctl apply orders -f orders-policy.json [--if-revision 12]
 * meshctl history orders ; meshctl rollback orders 12
 * meshctl watch orders payments --count 1
 * </pre>
 *
 * Exit codes: 0 done, 1 the server refused (the problem and each bad field are printed) or could not be
 * reached, 2 bad usage.
 */
@Command(name = "meshctl", mixinStandardHelpOptions = true, version = "meshctl 0.1.0", usageHelpAutoWidth = true,
    description = "Reads and changes the Mesh4j control plane's policies and registry, and shows its view of the mesh.",
    subcommands = {Meshctl.Get.class, Meshctl.Apply.class, Meshctl.Delete.class, Meshctl.History.class,
        Meshctl.Rollback.class, Meshctl.Watch.class, Meshctl.Services.class, Meshctl.Instances.class,
        Views.Topology.class, Views.Stat.class, Views.Clients.class, Audit.class},
    footer = {"", "Exit codes: 0 ok, 1 error from the server (or unreachable), 2 bad usage."})
public final class Meshctl {

  @Option(names = "--url", defaultValue = "${env:MESH_CP_URL:-http://127.0.0.1:8500}",
      description = "Control plane base URL (env MESH_CP_URL, default ${DEFAULT-VALUE}).")
  URI url;

  @Option(names = "--token", defaultValue = "${env:MESH_CP_TOKEN}", arity = "1",
      description = "Bearer token: the admin token for apply / delete / rollback (env MESH_CP_TOKEN).")
  String token;

  @Option(names = "--token-file", defaultValue = "${env:MESH_CP_TOKEN_FILE}",
      description = "File holding the token (env MESH_CP_TOKEN_FILE).")
  Path tokenFile;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Runs meshctl on the process's stdout / stderr. */
  public static int run(String... args) {
    return run(new PrintWriter(System.out, true, StandardCharsets.UTF_8),
        new PrintWriter(System.err, true, StandardCharsets.UTF_8), args);
  }

  /** Runs meshctl writing to {@code out} / {@code err}; returns the exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new Meshctl());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof ApiException || e instanceof IOException) {
        String message = e instanceof java.nio.file.NoSuchFileException ? "no such file: " + e.getMessage()
            : e.getMessage();
        commandLine.getErr().println("error: " + message);
        commandLine.getErr().flush();
        return 1;
      }
      throw e;
    });
    int code = cl.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  ApiClient client() throws IOException {
    String t = token;
    if (tokenFile != null) {
      t = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
    }
    return new ApiClient(url, t == null || t.isBlank() ? null : t);
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  static String pretty(JsonNode n) {
    try {
      return ApiClient.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n);
    } catch (IOException e) {
      return n.toString();
    }
  }

  static String path(String service, String rest) {
    return "/v1/services/" + ApiClient.enc(service) + rest;
  }

  @Command(name = "get", description = "Print a service's policy (JSON on stdout, its revision on stderr).")
  static final class Get implements Callable<Integer> {
    @ParentCommand Meshctl root;
    @Parameters(paramLabel = "SERVICE") String service;

    @Override
    public Integer call() throws IOException {
      ApiClient.Reply r = root.client().get(path(service, "/policy"), Duration.ofSeconds(30));
      root.err().println("# policy of " + service + " at revision " + r.body().path("revision").asLong());
      root.out().println(pretty(r.body().get("policy")));
      return 0;
    }
  }

  @Command(name = "apply", description = "Set a service's policy from a JSON file (- for stdin).")
  static final class Apply implements Callable<Integer> {
    @ParentCommand Meshctl root;
    @Parameters(paramLabel = "SERVICE") String service;
    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE", description = "Policy JSON; - reads stdin.")
    String file;
    @Option(names = "--if-revision", paramLabel = "REV",
        description = "Only if the current policy has this revision (0: only if there is none).")
    Long ifRevision;

    @Override
    public Integer call() throws IOException {
      String body = file.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
          : Files.readString(Path.of(file), StandardCharsets.UTF_8);
      if (body.startsWith("\uFEFF")) {
        body = body.substring(1); // a byte order mark, as some editors write: the API takes UTF-8 without one
      }
      ApiClient.Reply r = root.client().send("PUT", path(service, "/policy"), body,
          ifRevision == null ? null : ifRevision.toString());
      root.out().println("applied policy of " + service + ": revision " + r.body().path("revision").asLong());
      return 0;
    }
  }

  @Command(name = "delete", description = "Delete a service's policy (clients fall back to their defaults).")
  static final class Delete implements Callable<Integer> {
    @ParentCommand Meshctl root;
    @Parameters(paramLabel = "SERVICE") String service;
    @Option(names = "--if-revision", paramLabel = "REV", description = "Only if the current policy has this revision.")
    Long ifRevision;

    @Override
    public Integer call() throws IOException {
      ApiClient.Reply r = root.client().send("DELETE", path(service, "/policy"), null,
          ifRevision == null ? null : ifRevision.toString());
      root.out().println("deleted policy of " + service + ": revision " + r.body().path("revision").asLong());
      return 0;
    }
  }

  @Command(name = "history", description = "List a service's policy changes, newest first.")
  static final class History implements Callable<Integer> {
    @ParentCommand Meshctl root;
    @Parameters(paramLabel = "SERVICE") String service;
    @Option(names = "--limit", defaultValue = "20", description = "At most this many (default ${DEFAULT-VALUE}).")
    int limit;
    @Option(names = "--json", description = "Print the server's JSON, policies included.") boolean json;

    @Override
    public Integer call() throws IOException {
      ApiClient.Reply r = root.client().get(path(service, "/policy/history?limit=" + limit), Duration.ofSeconds(30));
      if (json) {
        root.out().println(pretty(r.body()));
        return 0;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"REVISION", "ACTION", "AT", "NOTE"});
      for (JsonNode e : r.body().path("history")) {
        String note = e.has("rolledBackTo") ? "policy of revision " + e.get("rolledBackTo").asLong() : "";
        rows.add(new String[] {e.path("revision").asText(), e.path("action").asText(), e.path("at").asText(), note});
      }
      table(root.out(), rows);
      return 0;
    }
  }

  @Command(name = "rollback", description = "Make the policy of an earlier revision current again.")
  static final class Rollback implements Callable<Integer> {
    @ParentCommand Meshctl root;
    @Parameters(index = "0", paramLabel = "SERVICE") String service;
    @Parameters(index = "1", paramLabel = "REVISION", description = "A revision from `meshctl history`.") long to;
    @Option(names = "--if-revision", paramLabel = "REV", description = "Only if the current policy has this revision.")
    Long ifRevision;

    @Override
    public Integer call() throws IOException {
      ApiClient.Reply r = root.client().send("POST", path(service, "/policy/rollback?revision=" + to), null,
          ifRevision == null ? null : ifRevision.toString());
      root.out().println("rolled " + service + " back to the policy of revision " + to + ": revision "
          + r.body().path("revision").asLong());
      return 0;
    }
  }

  @Command(name = "watch", description = "Print changes to services as the control plane pushes them.")
  static final class Watch implements Callable<Integer> {
    @ParentCommand Meshctl root;
    @Parameters(paramLabel = "SERVICE", arity = "1..*") List<String> services;
    @Option(names = "--since", defaultValue = "0", description = "Start after this revision (0: current state first).")
    long since;
    @Option(names = "--wait", defaultValue = "30s", description = "Long-poll wait per request (default ${DEFAULT-VALUE}).")
    String wait;
    @Option(names = "--count", defaultValue = "0", description = "Stop after this many answers with changes (0: never).")
    int count;
    @Option(names = "--json", description = "Print each answer's JSON.") boolean json;

    @Override
    public Integer call() throws IOException {
      ApiClient client = root.client();
      StringBuilder q = new StringBuilder("/v1/watch?wait=").append(ApiClient.enc(wait));
      for (String s : services) {
        q.append("&service=").append(ApiClient.enc(s));
      }
      Duration timeout = Duration.ofMinutes(6);
      long rev = since;
      int seen = 0;
      while (count == 0 || seen < count) {
        ApiClient.Reply r = client.get(q + "&since=" + rev, timeout);
        if (r.status() == 304) {
          continue;
        }
        seen++;
        rev = r.body().path("revision").asLong();
        if (json) {
          root.out().println(r.body().toString());
        } else {
          for (Iterator<Map.Entry<String, JsonNode>> it = r.body().path("services").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode s = e.getValue();
            root.out().printf("revision %d  %s: policy %s (r%d), %d endpoint(s) (r%d)%n", rev, e.getKey(),
                s.path("policy").isNull() ? "none" : "set", s.path("policyRevision").asLong(),
                s.path("endpoints").size(), s.path("endpointsRevision").asLong());
          }
        }
        root.out().flush();
      }
      return 0;
    }
  }

  @Command(name = "services", description = "List services with a policy or instances.")
  static final class Services implements Callable<Integer> {
    @ParentCommand Meshctl root;

    @Override
    public Integer call() throws IOException {
      ApiClient.Reply r = root.client().get("/v1/services", Duration.ofSeconds(30));
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"SERVICE", "POLICY", "POLICY-REV", "INSTANCES", "ENDPOINTS-REV"});
      for (JsonNode s : r.body().path("services")) {
        rows.add(new String[] {s.path("name").asText(), s.path("hasPolicy").asBoolean() ? "yes" : "no",
            s.path("policyRevision").asText(), s.path("instances").asText(), s.path("endpointsRevision").asText()});
      }
      table(root.out(), rows);
      root.out().println("revision " + r.body().path("revision").asLong());
      return 0;
    }
  }

  @Command(name = "instances", description = "List a service's registered instances.")
  static final class Instances implements Callable<Integer> {
    @ParentCommand Meshctl root;
    @Parameters(paramLabel = "SERVICE") String service;

    @Override
    public Integer call() throws IOException {
      ApiClient.Reply r = root.client().get(path(service, "/instances"), Duration.ofSeconds(30));
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"ID", "ADDRESS", "WEIGHT", "ZONE", "LABELS", "TTL", "EXPIRES-IN"});
      for (JsonNode i : r.body().path("instances")) {
        String host = i.path("host").asText();
        String address = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + i.path("port").asInt();
        List<String> labels = new ArrayList<>();
        i.path("labels").fields().forEachRemaining(e -> labels.add(e.getKey() + "=" + e.getValue().asText()));
        rows.add(new String[] {i.path("instanceId").asText(), address, i.path("weight").asText(),
            i.path("zone").asText(), String.join(",", labels), i.path("ttl").asText(), i.path("expiresIn").asText()});
      }
      table(root.out(), rows);
      return 0;
    }
  }

  static void table(PrintWriter out, List<String[]> rows) {
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int c = 0; c < row.length; c++) {
        widths[c] = Math.max(widths[c], row[c].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder sb = new StringBuilder();
      for (int c = 0; c < row.length; c++) {
        sb.append(c == row.length - 1 ? row[c] : String.format("%-" + (widths[c] + 2) + "s", row[c]));
      }
      out.println(sb.toString().stripTrailing());
    }
  }
}

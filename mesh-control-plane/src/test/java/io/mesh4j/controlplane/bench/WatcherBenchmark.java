package io.mesh4j.controlplane.bench;

import io.mesh4j.controlplane.ChildControlPlane;
import io.mesh4j.controlplane.TestControlPlane;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * How fast one control plane tells N long-polling watchers about a policy change, and what holding them
 * costs it.
 *
 * <p>Set-up: the control plane runs in its own JVM ({@code -Xmx256m}, the target heap, so that an
 * overrun would fail rather than hide), started from the executable jar when it exists. This JVM holds
 * the N watchers as non-blocking long-polls on one selector thread ({@link LongPollClient}), all
 * watching one service. Two processes also keep each under the 20,000 open files a process may have here:
 * 10,000 client sockets in one, 10,000 server sockets in the other.
 *
 * <p>A round: wait until the server holds all N watches; note t0; PUT a new policy; each watcher's
 * latency is the time from t0 until its long-poll answer with the new revision arrives here (it then
 * polls again). The PUT's own latency (an fsynced SQLite commit) is inside these numbers. Warm-up rounds
 * are not counted. Afterwards: the server's threads (jcmd Thread.print), heap used after a full GC
 * (jcmd GC.run, GC.heap_info), resident memory and open files (/proc).
 *
 * <pre>
 * ./mvnw -B -q install -pl mesh-control-plane -am -DskipTests
 * ./mvnw -B -q -pl mesh-control-plane exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.mesh4j.controlplane.bench.WatcherBenchmark -Dexec.args="1000 10000"
 * </pre>
 *
 * Every loop is bounded in count and time; only loopback is used.
 */
public final class WatcherBenchmark {
  private static final int WARMUP_ROUNDS = 5;
  private static final int ROUNDS = 20;
  private static final java.net.http.HttpClient ADMIN = java.net.http.HttpClient.newBuilder()
      .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private final LongPollClient client;
  private final int[] countedRound;
  private volatile Round round;

  /** One measured change: watchers that see a revision above {@code after} count down. */
  private static final class Round {
    final int index;
    final long after;
    final long[] received;
    final CountDownLatch all;
    volatile long t0;

    Round(int index, long after, int n) {
      this.index = index;
      this.after = after;
      this.received = new long[n];
      this.all = new CountDownLatch(n);
    }
  }

  private WatcherBenchmark(int n, URI base) throws IOException {
    countedRound = new int[n];
    Arrays.fill(countedRound, -1);
    client = new LongPollClient(new InetSocketAddress(base.getHost(), base.getPort()),
        "GET /v1/watch?service=bench&wait=120s&since=", TestControlPlane.CLIENT, this::changed);
  }

  /** On the client's selector thread. */
  private void changed(int watcher, long revision, long receivedNanos) {
    Round r = round;
    if (r != null && revision > r.after && countedRound[watcher] != r.index) {
      countedRound[watcher] = r.index;
      r.received[watcher] = receivedNanos;
      r.all.countDown();
    }
  }

  public static void main(String[] args) throws Exception {
    int[] sizes = args.length == 0 ? new int[] {1_000, 10_000}
        : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    List<String> rows = new ArrayList<>();
    for (int size : sizes) {
      rows.add(run(size));
    }
    System.out.println();
    System.out.println("| watchers | GC | put -> all notified p50 | p99 | max | last watcher per round (median / max) "
        + "| server live heap | server threads (idle -> held) | server RSS | server open files | failed polls |");
    System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    rows.forEach(System.out::println);
  }

  static String run(int n) throws Exception {
    Path tmp = Files.createTempDirectory("mesh-cp-bench");
    Path jar = Path.of("target", "mesh-control-plane.jar");
    if (!Files.exists(jar)) {
      jar = Path.of("mesh-control-plane", "target", "mesh-control-plane.jar");
    }
    List<String> launch = Files.exists(jar) ? List.of("-jar", jar.toString())
        : List.of("-cp", classpath(), "io.mesh4j.controlplane.Main");
    String custom = System.getProperty("bench.launch", "").trim();
    if (!custom.isEmpty()) {
      // For comparisons only: another server speaking the same protocol subset.
      launch = Arrays.asList(custom.split("\\s+"));
    }
    System.out.printf(Locale.ROOT, "%n== %,d watchers; control plane: java %s %s%n", n,
        String.join(" ", serverJvmArgs()), String.join(" ", launch.get(0).equals("-jar") ? launch
            : List.of("-cp", "...", launch.get(launch.size() - 1))));
    // Every watcher comes from 127.0.0.1: the control plane's cap per client address (1,024) is lifted.
    List<String> options = custom.isEmpty() ? List.of("--max-connections-per-address", "0") : List.of();
    try (ChildControlPlane cp = ChildControlPlane.start(tmp.resolve("data"), serverJvmArgs(),
        launch, options)) {
      URI base = cp.uri();
      long rev = put(base, 0);
      long idleThreads = threads(cp.pid());
      WatcherBenchmark b = new WatcherBenchmark(n, base);
      try {
        long t0 = System.nanoTime();
        // Open the watches in waves so the listen backlog is never the bottleneck.
        for (int from = 0; from < n; from += 1_000) {
          for (int i = from; i < Math.min(n, from + 1_000); i++) {
            b.client.open(i, rev);
          }
          int target = Math.min(n, from + 1_000);
          awaitHeld(base, target, Duration.ofSeconds(60));
        }
        System.out.printf(Locale.ROOT, "   %,d watches held after %d ms%n", n,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));

        List<Long> latencies = new ArrayList<>();
        List<Long> lastPerRound = new ArrayList<>();
        List<Long> putAcks = new ArrayList<>();
        List<Long> serverCpus = new ArrayList<>();
        for (int r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
          awaitHeld(base, n, Duration.ofSeconds(60));
          long serverCpu0 = cpuNanos(cp.pid());
          long serverSys0 = sysNanos(cp.pid());
          long clientCpu0 = ownCpuNanos();
          Round round = new Round(r, rev, n);
          b.round = round;
          round.t0 = System.nanoTime();
          rev = put(base, r + 1);
          long acked = System.nanoTime() - round.t0;
          if (!round.all.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("round " + r + ": " + round.all.getCount() + " watchers not notified");
          }
          long last = 0;
          List<Long> these = new ArrayList<>(n);
          for (long t : round.received) {
            long l = t - round.t0;
            these.add(l);
            last = Math.max(last, l);
          }
          if (r >= WARMUP_ROUNDS) {
            latencies.addAll(these);
            lastPerRound.add(last);
          }
          long serverCpu = cpuNanos(cp.pid()) - serverCpu0;
          if (r >= WARMUP_ROUNDS) {
            putAcks.add(acked);
            serverCpus.add(serverCpu);
          }
          System.out.printf(Locale.ROOT, "   round %2d%s: PUT acknowledged in %.1f ms, all %,d notified in %.1f ms"
              + " (CPU: server %.0f ms of which kernel %.0f ms, client %.0f ms)%n", r,
              r < WARMUP_ROUNDS ? " (warm-up)" : "", acked / 1e6, n, last / 1e6,
              serverCpu / 1e6, (sysNanos(cp.pid()) - serverSys0) / 1e6,
              (ownCpuNanos() - clientCpu0) / 1e6);
        }
        awaitHeld(base, n, Duration.ofSeconds(60));
        long heldThreads = threads(cp.pid());
        String heap = heapAfterGc(cp.pid());
        String rss = rss(cp.pid());
        long files = openFiles(cp.pid());
        if (Boolean.getBoolean("bench.histogram")) {
          jcmd(cp.pid(), "GC.class_histogram").lines().limit(25).forEach(l -> System.out.println("   " + l));
        }
        putAcks.sort(null);
        serverCpus.sort(null);
        System.out.printf(Locale.ROOT, "   PUT acknowledged (fsynced commit) median %.1f ms, max %.1f ms; server CPU per"
            + " round median %.0f ms (%.1f us per watcher); load average %s%n", pct(putAcks, 50) / 1e6,
            putAcks.get(putAcks.size() - 1) / 1e6, pct(serverCpus, 50) / 1e6, pct(serverCpus, 50) / 1e3 / n,
            Files.readString(Path.of("/proc/loadavg")).trim());
        latencies.sort(null);
        lastPerRound.sort(null);
        String row = String.format(Locale.ROOT, "| %,d | %s | %.1f ms | %.1f ms | %.1f ms | %.1f / %.1f ms | %s "
            + "| %d -> %d | %s | %,d | %d |", n, gc(), pct(latencies, 50) / 1e6, pct(latencies, 99) / 1e6,
            latencies.get(latencies.size() - 1) / 1e6, pct(lastPerRound, 50) / 1e6,
            lastPerRound.get(lastPerRound.size() - 1) / 1e6, heap, idleThreads, heldThreads, rss, files,
            b.client.failures.get());
        System.out.println(row);
        return row;
      } finally {
        b.client.close();
        cp.stop(); // SIGTERM: a graceful stop (and a JFR recording, if one was asked for, is written)
      }
    }
  }

  /**
   * -Xmx256m (the target) and the collector (-Dbench.gc: Parallel, the recommended one, or G1, the JVM's
   * default), plus anything in -Dbench.serverJvmArgs (space-separated), e.g. a JFR recording.
   */
  static List<String> serverJvmArgs() {
    List<String> args = new ArrayList<>(List.of("-Xmx256m", "-Xms64m", "-XX:+Use" + gc() + "GC"));
    String extra = System.getProperty("bench.serverJvmArgs", "").trim();
    if (!extra.isEmpty()) {
      args.addAll(Arrays.asList(extra.split("\\s+")));
    }
    return args;
  }

  static String gc() {
    return System.getProperty("bench.gc", "Parallel");
  }

  static long put(URI base, int i) throws IOException, InterruptedException {
    String body = "{\"timeouts\":{\"total\":\"" + (1000 + i) + "ms\"}}";
    HttpResponse<String> r = ADMIN.send(HttpRequest.newBuilder(base.resolve("/v1/services/bench/policy"))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + TestControlPlane.ADMIN)
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("PUT answered " + r.statusCode() + ": " + r.body());
    }
    Matcher m = Pattern.compile("\"revision\":(\\d+)").matcher(r.body());
    if (!m.find()) {
      throw new IllegalStateException(r.body());
    }
    return Long.parseLong(m.group(1));
  }

  static void awaitHeld(URI base, int n, Duration max) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    Pattern watchers = Pattern.compile("\"watchers\":(\\d+)");
    int held = -1;
    for (int i = 0; i < 100_000 && System.nanoTime() < deadline; i++) {
      HttpResponse<String> r = ADMIN.send(HttpRequest.newBuilder(base.resolve("/v1/health"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      Matcher m = watchers.matcher(r.body());
      held = m.find() ? Integer.parseInt(m.group(1)) : -1;
      if (held >= n) {
        return;
      }
      // Polling the server's own count; a latch cannot span two processes.
      new CountDownLatch(1).await(20, TimeUnit.MILLISECONDS);
    }
    throw new IllegalStateException("server holds " + held + " watches, expected " + n);
  }

  static double pct(List<Long> sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        Long.toString(pid), command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }

  static long threads(long pid) throws IOException, InterruptedException {
    return jcmd(pid, "Thread.print").lines().filter(l -> l.startsWith("\"")).count();
  }

  /** Live heap: the class histogram's total, taken after the full GC it triggers (works for any collector). */
  static String heapAfterGc(long pid) throws IOException, InterruptedException {
    Matcher m = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)").matcher(jcmd(pid, "GC.class_histogram"));
    return m.find() ? String.format(Locale.ROOT, "%.1f MB", Long.parseLong(m.group(1)) / 1024.0 / 1024.0) : "?";
  }

  /** utime + stime of a process, from /proc (clock ticks of 10 ms). */
  static long cpuNanos(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
  }

  static long sysNanos(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[12]) * 10_000_000L;
  }

  static long ownCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  static String rss(long pid) throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (l.startsWith("VmRSS:")) {
        long kb = Long.parseLong(l.replaceAll("[^0-9]", ""));
        return String.format(Locale.ROOT, "%.0f MB", kb / 1024.0);
      }
    }
    return "?";
  }

  static long openFiles(long pid) throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return s.count();
    }
  }

  static String classpath() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    if (cl instanceof java.net.URLClassLoader u) {
      List<String> parts = new ArrayList<>();
      for (java.net.URL url : u.getURLs()) {
        try {
          parts.add(Path.of(url.toURI()).toString());
        } catch (java.net.URISyntaxException e) {
          throw new IllegalStateException(e);
        }
      }
      return String.join(java.io.File.pathSeparator, parts);
    }
    return System.getProperty("java.class.path");
  }
}

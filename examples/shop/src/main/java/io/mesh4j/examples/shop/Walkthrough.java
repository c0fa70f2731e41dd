package io.mesh4j.examples.shop;

import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.examples.shop.common.InstanceSpec;
import io.mesh4j.examples.shop.common.Traffic;
import io.mesh4j.examples.shop.order.OrderApplication;
import io.mesh4j.examples.shop.payment.PaymentApplication;
import io.mesh4j.examples.shop.product.ProductApplication;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The scripted walk-through. Read {@link #run} top to bottom: start everything, then five steps, each
 * announced, each ending in a measured {@link ShopDemo.StepResult}.
 *
 * <p>Cast: product ×3 ({@code product-2} 50 ms slower; {@code product-3} is version v2, the canary),
 * order ×2, payment ×2 ({@code payment-2} fails 5% of charges), one control plane, one load generator
 * calling order. Order calls product and payment through the mesh; everyone finds everyone through the
 * control plane.
 */
final class Walkthrough {
  // Policies as an operator would write them (docs/policy.md), pushed through the control plane.
  static final String ORDER_POLICY = """
      {"timeouts": {"total": "5s"}}""";
  /**
   * The balancer is the default (P2C over peak-EWMA) with a shorter memory: peak-EWMA takes a latency
   * spike at once and forgets it with the decay's time constant (10 s by default). Seven applications
   * share this JVM on a small machine, so one GC pause can mark a fast instance as slow; with 2 s it is
   * forgiven in seconds rather than tens of seconds, and the short steps measure the steady state.
   */
  static final String PRODUCT_POLICY = """
      {"timeouts": {"total": "2s", "perAttempt": "500ms"}, "balancer": {"decay": "2s"}}""";
  /**
   * Charges carry an idempotency key, so they may be retried: payment-2 is flaky, and the fault step
   * aborts 20% of attempts. Seven attempts leave about 0.22^7 (1 in 40,000) charges failing. The retry
   * budget must be larger than the failure rate it is meant to absorb: 40% here. (Over gRPC the budget
   * becomes gRPC's retry throttling, a token bucket that each failed attempt drains by 1 and each success
   * refills by 0.40; it stays full only while 0.40 x successes >= failures, i.e. for up to 28% failed
   * attempts. At 30% a steady 22% of failed attempts leaves too little margin: a burst drains it and order
   * answers a few 502s; at the default 20% it drains for good.)
   */
  static final String PAYMENT_POLICY = """
      {"timeouts": {"total": "3s"}, "retries": {"maxAttempts": 7, "budget": {"percent": 40}}}""";
  private static final double PAYMENT_BUDGET = 0.40;

  static List<InstanceSpec> cast() {
    return List.of(
        InstanceSpec.of("product", "product-1", "v1"),
        InstanceSpec.of("product", "product-2", "v1").slow(Duration.ofMillis(50)),
        InstanceSpec.of("product", "product-3", "v2"),
        InstanceSpec.of("order", "order-1", "v1"),
        InstanceSpec.of("order", "order-2", "v1"),
        InstanceSpec.of("payment", "payment-1", "v1"),
        InstanceSpec.of("payment", "payment-2", "v1").flaky(5));
  }

  private static Class<?> applicationOf(String service) {
    return switch (service) {
      case "product" -> ProductApplication.class;
      case "order" -> OrderApplication.class;
      case "payment" -> PaymentApplication.class;
      default -> throw new IllegalArgumentException(service);
    };
  }

  /**
   * How order reaches payment. gRPC: each payment instance also serves gRPC and registers that port;
   * order uses the starter's mesh channel ({@code mesh.grpc.channels}). HTTP: the annotated client.
   */
  private Map<String, Object> transport(InstanceSpec spec) {
    if (options.payment() != ShopDemo.Transport.GRPC) {
      return Map.of();
    }
    try {
      return switch (spec.service()) {
        case "order" -> Map.of("shop.payment.transport", "grpc", "mesh.grpc.channels", "payment");
        case "payment" -> {
          int grpcPort = ShopInstance.freePort();
          yield Map.of("shop.payment.grpc-port", grpcPort, "mesh.registration.port", grpcPort);
        }
        default -> Map.of();
      };
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private final ShopDemo.Options options;
  private final PrintStream out;
  private final Traffic traffic = new Traffic();
  private final List<ShopDemo.StepResult> results = new ArrayList<>();
  private volatile String current = "starting";
  private boolean complete;
  private EmbeddedControlPlane controlPlane;
  private Cluster cluster;
  private LoadGenerator load;
  private DemoTelemetry telemetry;
  private LiveView view;

  Walkthrough(ShopDemo.Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /**
   * Runs the walk-through; with {@link ShopDemo.Options#forever()} keeps the shop running afterwards until
   * {@code stop} is counted down. An interrupt ends it early. Everything started is stopped before this
   * returns.
   */
  ShopDemo.Summary run(CountDownLatch stop) throws Exception {
    // Seven Spring Boot applications share this JVM: logging is configured once, by logback.xml, instead
    // of by each application as it starts (which is not safe to do from several threads at once).
    System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install(); // java.util.logging (Tomcat, the mesh) into Logback
    }
    Path dir = Files.createTempDirectory("mesh4j-shop-");
    long started = System.nanoTime();
    try (DemoTelemetry telemetry = new DemoTelemetry();
        EmbeddedControlPlane cp = EmbeddedControlPlane.start(dir.resolve("control-plane"))) {
      this.telemetry = telemetry;
      this.controlPlane = cp;
      out.println("control plane on " + cp.uri());
      out.println("  its SQLite store in " + dir.resolve("control-plane"));
      long productBaseline = cp.putPolicy("product", PRODUCT_POLICY);
      cp.putPolicy("order", ORDER_POLICY);
      long paymentBaseline = cp.putPolicy("payment", PAYMENT_POLICY);
      out.println("starting " + cast().size() + " service instances (each its own Spring Boot application)...");
      MeshEvents events = new MeshEvents(out);
      List<ShopInstance> instances = Cluster.startInstances(cast(), Walkthrough::applicationOf, this::transport, cp,
          traffic, telemetry, events, dir);
      try (Cluster.Closer closeInstances = () -> Cluster.closeAll(instances);
          LoadGenerator load = LoadGenerator.create(cp, telemetry, events, options.rate(), 32, options.seed(), dir)) {
        this.load = load;
        this.cluster = Cluster.of(instances, load);
        if (!awaitDiscovery(Duration.ofSeconds(20))) {
          throw new IllegalStateException("the services did not find each other through the control plane in 20 s: "
              + discoveryState());
        }
        warmUpJit(instances);
        load.start();
        try (LiveView view = new LiveView(out, options.ansi(), TerminalSize.watch(options.ansi()), cluster, load, traffic,
                telemetry, cp, () -> current);
            Cluster.Closer detach = events::detach) {
          events.attach(view::announce, this::withNames);
          this.view = view;
          view.start();
          step("warm-up", "The load generator calls order at " + options.rate() + "/s (70% quotes, 30% orders); "
              + "the balancers learn each instance's latency.");
          pause(options.warmup());

          steering(productBaseline);
          canary(90, 10, 0.06, productBaseline);
          canary(50, 50, 0.10, productBaseline);
          fault(paymentBaseline);
          kill("product-1");
          controlPlaneDown();
          complete = true;

          current = "walk-through done";
          if (options.forever()) {
            view.announce(ShopDemo.summaryTable(results));
            view.announce("The shop keeps running; Ctrl-C stops it.");
            current = "running until Ctrl-C";
            stop.await();
          }
        } catch (InterruptedException e) {
          // Ctrl-C (ShopDemo's shutdown hook): stop here; everything is closed on the way out.
          out.println(complete ? "stopping..." : "stopped during '" + current + "'; stopping...");
        }
      } // closed in reverse order: view, load generator, then the instances (nobody calls them any more)
    } finally {
      deleteQuietly(dir);
    }
    return new ShopDemo.Summary(List.copyOf(results), complete, Duration.ofNanos(System.nanoTime() - started));
  }

  // ---- the steps ----

  /**
   * Step 1: P2C over peak-EWMA latency sends the slow instance little traffic; nobody configured that.
   * Hedging (pushed for this step only) sends a backup when a product read has not answered in 25 ms,
   * so the slow instance's few requests stop costing 50 ms. The share is measured on first attempts:
   * what the balancer chose, not the backups.
   */
  private void steering(long baselineRevision) throws Exception {
    step("1/5 balancer steers around the slow instance",
        "product-2 answers 50 ms slower than product-1 and product-3. Each order instance picks the cheaper "
            + "of two random product instances (peak-EWMA latency x in-flight); for this step product reads are "
            + "also hedged after 25 ms. Expect product-2 well below a third.");
    long revision = controlPlane.putPolicy("product", with(PRODUCT_POLICY, """
        "hedging": {"enabled": true, "delay": "25ms"}"""));
    awaitPolicy("product", revision);
    Measurement m = measure(options.window());
    double share = m.share("product", "product-2", true);
    Traffic.Window slow = window("product-2");
    Traffic.Window fast = window("product-1");
    record("1 steering", "product-2 share of first attempts < 20% (fair share 33%)",
        String.format(Locale.ROOT, "%.1f%% of %d (p50 %s vs product-1 %s); %d hedges sent", 100 * share,
            m.serviceRequests("product", true), p50(slow), p50(fast), m.hedges("product")),
        share < 0.20, Map.of("share", share, "hedges", (double) m.hedges("product")));
    rollback("product", baselineRevision, "hedging off again");
  }

  /** Step 2: a weighted route by label, pushed through the control plane; measured on first attempts. */
  private void canary(int v1, int v2, double tolerance, long baselineRevision) throws Exception {
    String policy = with(PRODUCT_POLICY, String.format(Locale.ROOT, """
        "routes": [{"name": "canary", "destinations": [
            {"labels": {"version": "v1"}, "weight": %d}, {"labels": {"version": "v2"}, "weight": %d}]}]""", v1, v2));
    step("2/5 canary " + v1 + "/" + v2 + " through the control plane",
        "PUT /v1/services/product/policy with a route splitting by the 'version' label: v1 (product-1, product-2) "
            + v1 + "%, v2 (product-3) " + v2 + "%. Every order instance gets it by long-poll.");
    long revision = controlPlane.putPolicy("product", policy);
    boolean spread = awaitPolicy("product", revision);
    Measurement m = measure(options.window());
    double share = m.share("product", "product-3", true);
    record("2 canary " + v1 + "/" + v2, String.format(Locale.ROOT, "v2 share %d%% +/- %.0f (policy r%d on all callers)",
            v2, 100 * tolerance, revision),
        String.format(Locale.ROOT, "%.1f%% of %d calls%s", 100 * share, m.serviceRequests("product", true),
            spread ? "" : " (policy did not reach every caller)"),
        spread && Math.abs(share - v2 / 100.0) <= tolerance,
        Map.of("share", share, "calls", (double) m.serviceRequests("product", true), "spread", spread ? 1.0 : 0.0));
    if (v2 == 50) {
      rollback("product", baselineRevision, "canary over");
    }
  }

  /** Step 3: fault injection on the caller side; retries absorb it, the retry budget bounds them. */
  private void fault(long baselineRevision) throws Exception {
    step("3/5 fault: 20% of payment attempts aborted (503)",
        "The payment policy gains faults.abort 20% (injected per attempt by order's mesh). Charges are "
            + "idempotent (key), so they are retried on another instance, within the retry budget ("
            + (options.payment() == ShopDemo.Transport.GRPC ? "gRPC's retries, configured by the mesh" : "the mesh's retries")
            + "). Expect zero failed calls.");
    String policy = with(PAYMENT_POLICY, """
        "faults": {"abort": {"percent": 20, "status": 503}}""");
    long revision = controlPlane.putPolicy("payment", policy);
    boolean spread = awaitPolicy("payment", revision);
    Measurement m = measure(options.window());
    long charges = m.loadCalls(LoadGenerator.PLACE);
    // Retries as the callers' meshes counted them (mesh.client.retries): HTTP's retry layer, or over gRPC
    // the retries gRPC sends itself (the mesh's policy is the channel's service config), which the mesh's
    // client interceptor counts per attempt. Aborted retries count too: each was an attempt sent again.
    long retries = m.retries("payment");
    int callers = cluster.callersOf("payment").size();
    double allowance = PAYMENT_BUDGET * charges + 10 * m.seconds() * callers; // budget share of calls + 10/s per caller
    long orderErrors = m.errorsServed("order"); // charges that failed after payment's retries: order answered 502
    record("3 fault 20% aborts", "0 failed calls; retries > 0 and within budget",
        String.format(Locale.ROOT, "%d failed of %d calls; %d retries for %d charges (budget allows ~%.0f); "
                + "order 5xx: %d%s", m.loadFailures(), m.loadCalls(), retries, charges, allowance, orderErrors,
            orderErrors == 0 ? "" : " (charges whose every attempt failed; the load generator's mesh retried them)"),
        spread && m.loadFailures() == 0 && retries > 0 && retries <= allowance,
        Map.of("failed", (double) m.loadFailures(), "calls", (double) m.loadCalls(), "retries", (double) retries,
            "allowance", allowance, "orderErrors", (double) orderErrors));
    rollback("payment", baselineRevision, "fault removed");
  }

  /**
   * Step 4: an instance dies without deregistering; outlier detection ejects it, retries hide it. A
   * caller ejects what it has seen fail 5 times in a row; a caller that tried the dead instance once and
   * then got no more traffic itself (the load generator's balancer favours the faster order instance) has
   * nothing to eject. So the check is what matters: a caller ejected it, and then for 2 s no caller sent
   * it anything — traffic has moved off it.
   */
  private void kill(String victimName) throws InterruptedException {
    ShopInstance victim = cluster.instance(victimName);
    step("4/5 " + victimName + " killed",
        victimName + "'s server stops at once, without deregistering. Calls to it fail to connect and are "
            + "retried elsewhere; after 5 consecutive failures a caller ejects it.");
    List<Cluster.Caller> callers = cluster.callersOf("product");
    Measurement m = new Measurement();
    long killedAt = System.nanoTime();
    victim.crash();
    boolean ejected = await(Duration.ofSeconds(10), () -> callers.stream().anyMatch(c -> ejectedOrGone(c, victim)));
    double ejectSeconds = (System.nanoTime() - killedAt) / 1e9;
    boolean abandoned = ejected && awaitQuiet(victim, callers, Duration.ofSeconds(2), Duration.ofSeconds(10));
    long ejectedBy = callers.stream().filter(c -> ejectedOrGone(c, victim)).count();
    pause(options.window().minusNanos(System.nanoTime() - killedAt));
    m.end();
    record("4 kill " + victimName, "ejected within 10 s, then no traffic to it; 0 failed calls",
        String.format(Locale.ROOT, "%s after %.1f s (by %d/%d callers)%s; %d failed of %d calls (product: %d retries)",
            ejected ? "ejected" : "NOT ejected", ejectSeconds, ejectedBy, callers.size(),
            abandoned ? ", then no attempts for 2 s" : ", but still tried", m.loadFailures(), m.loadCalls(),
            m.retries("product")),
        ejected && abandoned && m.loadFailures() == 0 && m.loadCalls() > 0,
        Map.of("ejected", ejected ? 1.0 : 0.0, "abandoned", abandoned ? 1.0 : 0.0, "secondsToEject", ejectSeconds,
            "failed", (double) m.loadFailures(), "calls", (double) m.loadCalls()));
    victim.close(); // the rest of the process goes: its registration is removed
    view.announce("    " + victimName + " shut down and deregistered");
  }

  /** True once no caller has sent {@code victim} an attempt for {@code quiet} (bounded by {@code timeout}). */
  private static boolean awaitQuiet(ShopInstance victim, List<Cluster.Caller> callers, Duration quiet, Duration timeout)
      throws InterruptedException {
    long[] last = {-1};
    long[] since = {System.nanoTime()};
    return await(timeout, () -> {
      long sent = callers.stream().mapToLong(c -> sentTo(c, victim)).sum();
      long now = System.nanoTime();
      if (sent != last[0]) {
        last[0] = sent;
        since[0] = now;
      }
      return now - since[0] >= quiet.toNanos();
    });
  }

  /** Step 5: the control plane goes away; every mesh keeps its last known state and keeps serving. */
  private void controlPlaneDown() throws Exception {
    step("5/5 control plane stopped",
        "First, what the control plane sees: every mesh reports its traffic to it (GET /v1/topology, meshctl"
            + " topology). Then it stops. Watches fail, heartbeats fail; every mesh keeps the policies and"
            + " endpoints it has. Expect the shop to keep serving with zero failures.");
    // Every edge of the shop, over HTTP and gRPC, as the meshes' reports (every 10 s) told the control plane.
    List<String> expected = List.of("load->order", "order->payment", "order->product");
    await(Duration.ofSeconds(25), () -> controlPlane.edges().keySet().containsAll(expected));
    Map<String, Long> edges = controlPlane.edges();
    view.announce("    the control plane's topology (last 10 min): " + edges.entrySet().stream()
        .map(e -> e.getKey() + " " + e.getValue() + " attempts").collect(java.util.stream.Collectors.joining(", ")));
    boolean seen = edges.keySet().containsAll(expected);
    controlPlane.stop();
    List<Cluster.Caller> callers = cluster.callers();
    boolean disconnected = await(Duration.ofSeconds(10),
        () -> callers.stream().noneMatch(c -> c.controlPlane().status().connected()));
    Measurement m = measure(options.window());
    boolean allServing = Stream.of("order", "product", "payment").allMatch(s -> m.serviceRequests(s, false) > 0);
    record("5 control plane down", "topology shows every edge; all services keep serving; 0 failed calls",
        String.format(Locale.ROOT, "%s; %s; %d failed of %d calls; order %d, product %d, payment %d requests"
            + " served", seen ? "topology had all 3 edges" : "topology lacked edges: " + edges.keySet(), disconnected ? "all " + callers.size() + " meshes disconnected" : "some meshes still connected",
            m.loadFailures(), m.loadCalls(), m.serviceRequests("order", false), m.serviceRequests("product", false),
            m.serviceRequests("payment", false)),
        disconnected && allServing && m.loadFailures() == 0 && seen,
        Map.of("edgesSeen", seen ? 1.0 : 0.0, "disconnected", disconnected ? 1.0 : 0.0,
            "failed", (double) m.loadFailures(),
            "calls", (double) m.loadCalls(), "productServed", (double) m.serviceRequests("product", false),
            "paymentServed", (double) m.serviceRequests("payment", false)));
    controlPlane.restart();
    view.announce("    control plane started again on " + controlPlane.uri() + "; meshes reconnect with backoff");
  }

  // ---- helpers ----

  /** "ejected 127.0.0.1:41234" -> "ejected product-1 (127.0.0.1:41234)". */
  private String withNames(String line) {
    for (ShopInstance i : cluster.instances()) {
      line = line.replace(i.address(), i.name() + " (" + i.address() + ")");
    }
    return line;
  }

  /** {@code policy} (a JSON object) with {@code fields} added. */
  private static String with(String policy, String fields) {
    return policy.substring(0, policy.lastIndexOf('}')) + ",\n " + fields + "}";
  }

  /** Makes the policy of {@code revision} current again (a new revision) and waits until it has spread. */
  private void rollback(String service, long revision, String why) throws Exception {
    long back = controlPlane.rollback(service, revision);
    view.announce("    " + why + ": " + service + " policy rolled back to r" + revision + " (now r" + back + ")");
    awaitPolicy(service, back);
  }

  private void step(String title, String description) {
    current = "step " + title;
    view.announce("");
    view.announce("=== " + title.toUpperCase(Locale.ROOT) + " ===");
    view.announce("    " + description);
  }

  private void record(String step, String expected, String measured, boolean passed, Map<String, Double> figures) {
    ShopDemo.StepResult r = new ShopDemo.StepResult(step, expected, measured, passed, figures);
    results.add(r);
    view.announce("    " + (passed ? "PASS" : "FAIL") + "  " + measured);
  }

  private static String p50(Traffic.Window w) {
    return w.ratePerSecond() == 0 ? "n/a" : String.format(Locale.ROOT, "%.1f ms", w.p50Millis());
  }

  private Traffic.Window window(String instance) {
    return traffic.windows().stream().filter(w -> w.instance().equals(instance)).findFirst()
        .orElse(new Traffic.Window("", instance, 0, 0, 0, 0));
  }

  /**
   * A second of calls straight to every product instance (not through any mesh), so the code they all
   * share in this JVM is compiled before the balancers learn anything: their first lessons should be
   * about the instances, not about the JIT.
   */
  private static void warmUpJit(List<ShopInstance> instances) {
    okhttp3.OkHttpClient plain = new okhttp3.OkHttpClient();
    long end = System.nanoTime() + 1_000_000_000L;
    try {
      for (int n = 0; System.nanoTime() < end; n++) {
        for (ShopInstance i : instances) {
          if (i.spec().service().equals("product") && i.spec().extraLatency().isZero()) {
            try (okhttp3.Response r = plain.newCall(new okhttp3.Request.Builder()
                .url("http://" + i.address() + "/products/" + (n % 100)).build()).execute()) {
              r.body().string();
            } catch (java.io.IOException e) {
              return; // only a warm-up
            }
          }
        }
      }
    } finally {
      plain.dispatcher().executorService().shutdown();
      plain.connectionPool().evictAll();
    }
  }

  /** True once every caller of {@code service} runs {@code revision} or later (bounded: 10 s). */
  private boolean awaitPolicy(String service, long revision) throws InterruptedException {
    return await(Duration.ofSeconds(10), () -> cluster.callersOf(service).stream()
        .allMatch(c -> c.runtime(service).policyRevision() >= revision));
  }

  /**
   * Ready: every caller knows every instance of the services it calls. The first use of a service
   * subscribes the caller's mesh to it (the control-plane client then asks for its state at once); a mesh
   * that has no endpoints for a service yet fails the call rather than wait, so the load starts after this.
   */
  private boolean awaitDiscovery(Duration timeout) throws InterruptedException {
    Map<String, List<String>> calls = Map.of("order", List.of("product", "payment"), "load", List.of("order"));
    return await(timeout, () -> cluster.callers().stream().allMatch(caller ->
        calls.getOrDefault(caller.service(), List.of()).stream().allMatch(callee ->
            caller.mesh().service(callee).endpoints().size() == instancesOf(callee))));
  }

  /** "order-1: product 3/3, payment 2/2 (connected, r5); ..." for an error message. */
  private String discoveryState() {
    StringBuilder b = new StringBuilder();
    for (Cluster.Caller c : cluster.callers()) {
      b.append(c.name()).append(": ");
      for (io.mesh4j.ServiceRuntime r : c.mesh().services()) {
        b.append(r.name()).append(' ').append(r.endpoints().size()).append('/').append(instancesOf(r.name())).append(", ");
      }
      b.append(c.controlPlane().status()).append("; ");
    }
    return b.toString();
  }

  private static long instancesOf(String service) {
    return cast().stream().filter(i -> i.service().equals(service)).count();
  }

  /** Attempts {@code caller} has sent to {@code instance} (0 once it is no longer in its endpoint set). */
  private static long sentTo(Cluster.Caller caller, ShopInstance instance) {
    for (EndpointStats s : caller.runtime("product").endpoints()) {
      if (s.endpoint().address().equals(instance.address())) {
        return s.requests();
      }
    }
    return 0;
  }

  private static boolean ejectedOrGone(Cluster.Caller caller, ShopInstance victim) {
    ServiceRuntime r = caller.runtime("product");
    for (EndpointStats s : r.endpoints()) {
      if (s.endpoint().address().equals(victim.address())) {
        return s.isEjected();
      }
    }
    return true; // no longer in its endpoint set
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException | RuntimeException e) {
      // a temporary directory: the OS cleans it up eventually
    }
  }

  /** Polls {@code condition} every 50 ms until it holds or {@code timeout} passes. */
  static boolean await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      Thread.sleep(50);
    }
    return true;
  }

  /** The demo's own pacing: each step runs for a while so there is something to watch and measure. */
  private static void pause(Duration d) throws InterruptedException {
    if (!d.isNegative()) {
      Thread.sleep(d.toMillis());
    }
  }

  private Measurement measure(Duration d) throws InterruptedException {
    Measurement m = new Measurement();
    pause(d);
    m.end();
    return m;
  }

  /** What happened between its creation and {@link #end()}: differences of cumulative counts. */
  private final class Measurement {
    private final long startNanos = System.nanoTime();
    private final Map<String, Traffic.Counts> served0 = traffic.counts();
    private final Map<String, Traffic.Counts> load0 = load.results().counts();
    private final Map<String, Long> retries0 = telemetry.retries();
    private final Map<String, Long> hedges0 = telemetry.hedges();
    private Map<String, Traffic.Counts> served;
    private Map<String, Traffic.Counts> loaded;
    private Map<String, Long> retries;
    private Map<String, Long> hedges;
    private long endNanos;

    void end() {
      endNanos = System.nanoTime();
      served = traffic.counts();
      loaded = load.results().counts();
      retries = telemetry.retries();
      hedges = telemetry.hedges();
    }

    double seconds() {
      return (endNanos - startNanos) / 1e9;
    }

    private Traffic.Counts served(String instance) {
      Traffic.Counts now = served.get(instance);
      return now == null ? new Traffic.Counts("", 0, 0, 0) : now.minus(served0.get(instance));
    }

    /** Requests the instances of {@code service} served; only first attempts if {@code first}. */
    long serviceRequests(String service, boolean first) {
      return served.entrySet().stream().filter(e -> e.getValue().service().equals(service))
          .map(e -> served(e.getKey())).mapToLong(c -> first ? c.firstAttempts() : c.requests()).sum();
    }

    double share(String service, String instance, boolean first) {
      long total = serviceRequests(service, first);
      Traffic.Counts c = served(instance);
      return total == 0 ? 0 : (first ? c.firstAttempts() : c.requests()) / (double) total;
    }

    long loadCalls() {
      return loaded.keySet().stream().mapToLong(this::loadCalls).sum();
    }

    long loadCalls(String kind) {
      Traffic.Counts now = loaded.get(kind);
      return now == null ? 0 : now.minus(load0.get(kind)).requests();
    }

    long loadFailures() {
      return loaded.entrySet().stream().mapToLong(e -> e.getValue().minus(load0.get(e.getKey())).errors()).sum();
    }

    long retries(String service) {
      return retries.getOrDefault(service, 0L) - retries0.getOrDefault(service, 0L);
    }

    /** Errors (5xx, or UNAVAILABLE-like gRPC statuses) the instances of {@code service} answered. */
    long errorsServed(String service) {
      return served.entrySet().stream().filter(e -> e.getValue().service().equals(service))
          .mapToLong(e -> served(e.getKey()).errors()).sum();
    }

    long hedges(String service) {
      return hedges.getOrDefault(service, 0L) - hedges0.getOrDefault(service, 0L);
    }
  }
}

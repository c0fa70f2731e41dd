package io.mesh4j.examples.shop;

import io.mesh4j.Mesh;
import io.mesh4j.controlplane.client.ControlPlaneClient;
import io.mesh4j.examples.shop.common.Traffic;
import io.mesh4j.examples.shop.order.NewOrder;
import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.http.client.JacksonCodec;
import io.mesh4j.http.client.MeshClients;
import io.mesh4j.http.client.MeshResponse;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;

/**
 * Drives the shop: calls the order service at a fixed rate — 70% quotes ({@code GET /orders/quote}),
 * 30% orders ({@code POST /orders} with an idempotency key) — with at most {@code maxInFlight} calls
 * outstanding (a tick that finds them all busy sends nothing and is counted as skipped: the generator
 * never queues, so a slow shop shows as skipped ticks rather than as a backlog). It is a mesh client
 * like the services: it finds order through the control plane and its calls are balanced and retried.
 * Every call's end-to-end outcome is recorded in {@link #results()} as service {@code load}.
 */
final class LoadGenerator implements AutoCloseable {
  static final String QUOTE = "GET /orders/quote";
  static final String PLACE = "POST /orders";

  private final ControlPlaneClient controlPlane;
  private final Mesh mesh;
  private final OkHttpClient http;
  private final OrderClient orders;
  private final Semaphore inFlight;
  private final int maxInFlight;
  private final Random random;
  private final ScheduledExecutorService ticker;
  private final Traffic results = new Traffic();
  private final AtomicLong skipped = new AtomicLong();
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicReference<String> lastFailure = new AtomicReference<>();
  private final int ratePerSecond;

  private LoadGenerator(EmbeddedControlPlane cp, DemoTelemetry telemetry, MeshEvents events, int ratePerSecond,
      int maxInFlight, long seed, Path dataDir) {
    this.ratePerSecond = ratePerSecond;
    this.controlPlane = ControlPlaneClient.builder(cp.uri()).token(cp.clientToken())
        .cacheFile(dataDir.resolve("load-mesh-cache.json")).serviceName("load").build();
    this.mesh = Mesh.builder().discovery(controlPlane.discovery()).policies(controlPlane.policies())
        .openTelemetry(telemetry.openTelemetry()).eventLog(events.of("load")).build();
    controlPlane.report(mesh); // the load generator is a caller in the control plane's topology too
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(maxInFlight * 2);
    dispatcher.setMaxRequestsPerHost(maxInFlight * 2); // the host is the service: 5 (the default) is too few
    this.http = MeshOkHttp.client(mesh, new OkHttpClient.Builder().dispatcher(dispatcher).build());
    this.orders = MeshClients.builder(http).codec(JacksonCodec.standard()).build().create(OrderClient.class);
    this.maxInFlight = maxInFlight;
    this.inFlight = new Semaphore(maxInFlight);
    this.random = new Random(seed);
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "load-generator");
      t.setDaemon(true);
      return t;
    });
  }

  /** A load generator connected to the control plane; it sends nothing until {@link #start()}. */
  static LoadGenerator create(EmbeddedControlPlane cp, DemoTelemetry telemetry, MeshEvents events, int ratePerSecond,
      int maxInFlight, long seed, Path dataDir) {
    return new LoadGenerator(cp, telemetry, events, ratePerSecond, maxInFlight, seed, dataDir);
  }

  void start() {
    ticker.scheduleAtFixedRate(this::tick, 0, 1_000_000_000L / ratePerSecond, TimeUnit.NANOSECONDS);
  }

  private void tick() {
    if (!inFlight.tryAcquire()) {
      skipped.incrementAndGet();
      return;
    }
    // The random choices are made here, on the one ticker thread: the same seed gives the same calls.
    int productId = 1 + random.nextInt(100);
    int qty = 1 + random.nextInt(3);
    boolean place = random.nextInt(100) < 30;
    long start = System.nanoTime();
    CompletableFuture<? extends MeshResponse<?>> call;
    try {
      call = place
          ? orders.place(new NewOrder(productId, qty), "order-" + sequence.incrementAndGet())
          : orders.quote(productId, qty);
    } catch (RuntimeException e) {
      inFlight.release();
      record(place, start, false, e.toString());
      return;
    }
    call.whenComplete((response, failure) -> {
      inFlight.release();
      if (failure != null) {
        record(place, start, false, failure.toString());
      } else {
        record(place, start, response.isSuccessful(),
            response.isSuccessful() ? null : response.status() + " " + response.error().bodyExcerpt());
      }
    });
  }

  private void record(boolean place, long start, boolean ok, String failure) {
    results.record("load", place ? PLACE : QUOTE, System.nanoTime() - start, !ok, true);
    if (!ok) {
      lastFailure.set(failure);
    }
  }

  /** End-to-end outcome of every call so far, per kind of call ({@link #QUOTE}, {@link #PLACE}). */
  Traffic results() {
    return results;
  }

  long skipped() {
    return skipped.get();
  }

  int inFlight() {
    return maxInFlight - inFlight.availablePermits();
  }

  int ratePerSecond() {
    return ratePerSecond;
  }

  String lastFailure() {
    return lastFailure.get();
  }

  Mesh mesh() {
    return mesh;
  }

  ControlPlaneClient controlPlaneClient() {
    return controlPlane;
  }

  /** Stops sending, waits (up to 5 s) for the calls in flight, then closes its mesh. */
  @Override
  public void close() throws InterruptedException {
    ticker.shutdownNow();
    if (inFlight.tryAcquire(maxInFlight, 5, TimeUnit.SECONDS)) {
      inFlight.release(maxInFlight);
    }
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
    mesh.close();
    controlPlane.close();
  }
}

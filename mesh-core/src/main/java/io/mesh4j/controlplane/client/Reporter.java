package io.mesh4j.controlplane.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.internal.report.LatencyHistogram;
import io.mesh4j.internal.report.TrafficCounters;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.GZIPOutputStream;

/**
 * Sends the control plane a report of one {@link Mesh} every interval (jittered ±20%): who this
 * instance is, the policy revision it runs per service, its control-plane status, and per destination
 * service what was sent since the last report (a mergeable latency histogram of its attempts, retries,
 * hedges, breaker state) and per endpoint the attempts by outcome and ejections. {@code POST /v1/reports},
 * gzip.
 *
 * <p>It never slows a call: the call path only increments counters that exist anyway
 * ({@link TrafficCounters}, the runtimes' retry and hedge adders); this thread drains them. A report
 * that cannot be sent is dropped and counted (its counts are lost, never queued), and the next report
 * says how many were dropped. Size is bounded: at most {@value #MAX_SERVICES} services and
 * {@value #MAX_ENDPOINTS} endpoints each (further services are left out, further endpoints are added up
 * in one row named {@code other}; both are counted in {@code truncated}). Endpoints that left discovery
 * since the last report are reported once more, with their last counts.
 */
final class Reporter implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ControlPlaneClient.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int MAX_SERVICES = 200;
  static final int MAX_ENDPOINTS = 100;

  /** The replica in use (it changes when the client fails over). */
  private final java.util.function.Supplier<URI> base;
  private final String token;
  private final HttpClient http;
  private final Mesh mesh;
  private final Duration interval;
  private final Identity identity;
  private final Supplier<ControlPlaneStatus> status;
  private final ScheduledExecutorService thread;
  private final String startedAt = Instant.now().toString();
  /** Reporter thread only. */
  private long dropped;
  private long sent;
  private boolean failing;

  /** Who this instance is; {@code instanceId} may change once the registration is accepted. */
  interface Identity {
    String service();

    String instanceId();

    String address();
  }

  Reporter(java.util.function.Supplier<URI> base, String token, HttpClient http, Mesh mesh, Duration interval, Identity identity,
      Supplier<ControlPlaneStatus> status) {
    this.base = base;
    this.token = token;
    this.http = http;
    this.mesh = mesh;
    this.interval = interval;
    this.identity = identity;
    this.status = status;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mesh-control-plane-report");
      t.setDaemon(true);
      return t;
    });
    LOG.info(() -> "reporting " + identity.service() + "'s traffic to the control plane " + base.get() + " every "
        + interval.toMillis() + " ms");
    scheduleNext();
  }

  private void scheduleNext() {
    long millis = (long) (interval.toMillis() * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
    try {
      thread.schedule(this::runOnce, millis, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // closed meanwhile
    }
  }

  private void runOnce() {
    try {
      send(gzip(JSON.writeValueAsBytes(build())));
    } catch (RuntimeException | IOException e) {
      dropped++;
      if (!failing) {
        failing = true;
        LOG.log(Level.WARNING, "report to the control plane " + base.get() + "/v1/reports dropped (" + describe(e)
            + "); its counts are lost, the next report follows in about " + interval.toMillis() + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } finally {
      if (!mesh.isClosed()) {
        scheduleNext();
      }
    }
  }

  private void send(byte[] body) throws IOException, InterruptedException {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base.get() + "/v1/reports")).timeout(Duration.ofSeconds(5))
        .header("Content-Type", "application/json").header("Content-Encoding", "gzip")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (token != null) {
      req.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      String b = r.body();
      throw new IOException("answered " + r.statusCode() + ": " + (b.length() > 300 ? b.substring(0, 300) : b));
    }
    sent++;
    if (failing) {
      failing = false;
      LOG.info(() -> "reports reach the control plane " + base.get() + "/v1/reports again (" + dropped + " dropped so far)");
    }
  }

  /** The report of what happened since the last one; drains the counters. */
  ObjectNode build() {
    ObjectNode r = JSON.createObjectNode();
    r.put("service", identity.service());
    r.put("instance", identity.instanceId());
    r.put("address", identity.address());
    r.put("version", version());
    r.put("jvm", Runtime.version().toString());
    r.put("startedAt", startedAt);
    r.put("intervalMs", interval.toMillis());
    r.put("dropped", dropped);
    ControlPlaneStatus s = status.get();
    r.putObject("controlPlane").put("connected", s.connected()).put("revision", s.revision())
        .put("servingFromCache", s.servingFromCache());
    ObjectNode revisions = r.putObject("revisions");
    ArrayNode destinations = r.putArray("destinations");
    int truncated = 0;
    int services = 0;
    for (ServiceRuntime rt : mesh.services()) {
      revisions.put(rt.name(), rt.policyRevision());
      if (++services > MAX_SERVICES) {
        truncated++;
        drain(rt); // counted as left out, and not carried into the next report either
        continue;
      }
      ObjectNode d = JSON.createObjectNode();
      d.put("service", rt.name());
      d.put("retries", rt.drainRetries());
      d.put("hedges", rt.drainHedges());
      d.put("breaker", mesh.breakers().state(rt.name()).map(st -> st.name().toLowerCase(java.util.Locale.ROOT))
          .orElse("closed"));
      ArrayNode eps = d.putArray("endpoints");
      long[] latency = new long[LatencyHistogram.BUCKETS]; // every endpoint's, merged: the edge's histogram
      long[] other = new long[4]; // endpoints past MAX_ENDPOINTS, in one row so that the edge's sums hold
      int n = 0;
      long attempts = 0;
      List<EndpointStats> endpoints = new ArrayList<>(rt.endpoints());
      List<EndpointStats> departed = rt.drainDeparted(); // removed from discovery: their last counts
      endpoints.addAll(departed);
      for (EndpointStats e : endpoints) {
        TrafficCounters.Interval i = e.traffic().drain();
        attempts += i.attempts();
        long[] b = i.latency();
        for (int k = 0; k < b.length; k++) {
          latency[k] += b[k];
        }
        boolean ejected = e.isEjected() && !departed.contains(e);
        if (i.attempts() == 0 && !ejected) {
          continue;
        }
        if (++n > MAX_ENDPOINTS) {
          truncated++;
          other[0] += i.success();
          other[1] += i.failure();
          other[2] += i.timeout();
          other[3] += i.cancelled();
          continue;
        }
        ObjectNode ep = eps.addObject();
        ep.put("address", e.endpoint().address());
        ep.put("success", i.success()).put("failure", i.failure()).put("timeout", i.timeout())
            .put("cancelled", i.cancelled());
        ep.put("ejected", ejected).put("timesEjected", e.timesEjected());
      }
      if (n > MAX_ENDPOINTS) {
        eps.addObject().put("address", "other").put("success", other[0]).put("failure", other[1])
            .put("timeout", other[2]).put("cancelled", other[3]).put("ejected", false).put("timesEjected", 0);
      }
      putLatency(d, latency);
      // Sent when there is something to say, or the breaker is not closed (an open breaker sends nothing,
      // and its state must still reach the control plane).
      if (attempts > 0 || eps.size() > 0 || d.get("retries").asLong() > 0
          || !d.get("breaker").asText().equals("closed")) {
        destinations.add(d);
      }
    }
    r.put("truncated", truncated);
    return r;
  }

  /** {"firstUpperMicros": U, "counts": [...]}: the counts of consecutive buckets from the first non-empty one. */
  private static void putLatency(ObjectNode d, long[] latency) {
    int lo = 0;
    while (lo < latency.length && latency[lo] == 0) {
      lo++;
    }
    if (lo == latency.length) {
      return; // no samples: no histogram
    }
    int hi = latency.length - 1;
    while (latency[hi] == 0) {
      hi--;
    }
    ObjectNode l = d.putObject("latency");
    long upper = LatencyHistogram.upperMicros(lo);
    l.put("firstUpperMicros", upper == Long.MAX_VALUE ? -1 : upper);
    ArrayNode counts = l.putArray("counts");
    for (int k = lo; k <= hi; k++) {
      counts.add(latency[k]);
    }
  }

  private static void drain(ServiceRuntime rt) {
    rt.drainRetries();
    rt.drainHedges();
    for (EndpointStats e : rt.endpoints()) {
      e.traffic().drain();
    }
  }

  static String version() {
    String v = Mesh.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  private static byte[] gzip(byte[] json) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(json.length / 4 + 64);
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(json);
    }
    return out.toByteArray();
  }

  private static String describe(Exception e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
  }

  long sent() {
    return sent;
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}

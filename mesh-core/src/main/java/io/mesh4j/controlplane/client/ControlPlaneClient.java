package io.mesh4j.controlplane.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.Mesh;
import io.mesh4j.discovery.DiscoverySource;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.EndpointSet;
import io.mesh4j.discovery.Subscription;
import io.mesh4j.policy.InvalidPolicyException;
import io.mesh4j.policy.PolicyCodec;
import io.mesh4j.policy.PolicySource;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.VersionedPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Policies and endpoints from the Mesh4j control plane, as a {@link PolicySource} ({@link #policies()})
 * and a {@link DiscoverySource} ({@link #discovery()}) for one {@link io.mesh4j.Mesh}:
 *
 * <pre>{@code
 * ControlPlaneClient cp = ControlPlaneClient.builder(URI.create("http://control-plane:8500"))
 *     .token(System.getenv("MESH_CLIENT_TOKEN"))
 *     .cacheFile(Path.of("/var/cache/orders/mesh.json"))
 *     .register(Registration.of("orders", "10.0.0.7", 8080))
 *     .build();
 * Mesh mesh = Mesh.builder().discovery(cp.discovery()).policies(cp.policies()).build();
 * }</pre>
 *
 * <p>One long-poll loop (one thread) watches every service the mesh uses in a single request
 * ({@code POST /v1/watch} with {@code {"services":[...],"since":R}}; up to 10,000 services, so a client
 * that calls many distinct hosts keeps its watch); new revisions are handed to the mesh, which swaps
 * them in atomically, and written to the cache file (last-known-good). A client that starts while the
 * control plane is down serves from the cache; one that loses the control plane keeps serving what it
 * has and reconnects with jittered exponential backoff. The revision never goes backwards within one
 * history of the control plane's store; when the store's epoch changes (a restart, perhaps on a store
 * restored from an older backup) the client fetches the whole state again and takes the store's
 * revision, lower or not, so a policy that reverted or vanished reaches it too.
 * {@link #status()} tells health checks how it is doing.
 *
 * <p>Hosts without a dot that look like service names ({@code orders}, {@code payment-api}) are
 * treated as mesh services; anything else — names with a dot, IP addresses, {@code localhost} — passes
 * through the mesh. Dotless hosts the control plane knows nothing about cost one entry in the watch;
 * past 10,000 watched services the known ones are watched first and the rest are asked about every 30 s.
 */
public final class ControlPlaneClient implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ControlPlaneClient.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Compiled once: {@code handles} runs on the request path (until the service's runtime exists). */
  static final java.util.regex.Pattern SERVICE_NAME = java.util.regex.Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  /** Services per watch request: the control plane's limit for {@code POST /v1/watch}. */
  static final int MAX_PER_WATCH = 10_000;
  /** How often the state of services that do not fit in the long-poll is asked for. */
  static final Duration OVERFLOW_REFRESH = Duration.ofSeconds(30);

  /** The control-plane replicas, in the order given; the client uses one at a time. */
  private final List<URI> replicas;
  /** The index of the replica in use: moved by the loop thread after a failed round, read by any. */
  private volatile int replica;
  private final String token;
  private final StateCache cache;
  private final Duration wait;
  private final HttpClient http;
  private final Registration registration;

  /** Last known state per service; written only by the watch thread (and the cache load before it). */
  private final Map<String, KnownService> known = new ConcurrentHashMap<>();
  private final Map<String, List<Consumer<VersionedPolicy>>> policyListeners = new ConcurrentHashMap<>();
  private final Map<String, List<Consumer<EndpointSet>>> endpointListeners = new ConcurrentHashMap<>();
  /** Every service subscribed to. */
  private final Set<String> watched = ConcurrentHashMap.newKeySet();
  /** Services subscribed to whose current state the loop has not asked for yet. */
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private final Object signal = new Object();
  private final Thread loop;
  private final Registrar registrar;
  private final Duration reportInterval;
  private final String serviceName;
  /** This process's id in reports (not the registry's id, which changes on re-registration). */
  private final String localInstanceId = java.util.UUID.randomUUID().toString();
  private Reporter reporter;

  private volatile boolean closed;
  /**
   * Whether the next round asks for the state of every watched service: true at start and after a failed
   * first round; taken by the loop with {@code getAndSet(false)}.
   */
  private final AtomicBoolean needFull = new AtomicBoolean(true);
  private volatile CompletableFuture<HttpResponse<String>> inFlight;
  private volatile long revision;
  /**
   * The control plane's store epoch this client's state and {@link #revision} came from (null: none yet,
   * or a control plane from before epochs). Written by the loop thread only.
   */
  private volatile String epoch;
  private volatile boolean connected;
  private volatile boolean fromCache;
  private volatile Instant lastContact;
  /** When the control plane was last found unreachable; null while connected. Loop thread only. */
  private Instant lostAt;
  /** The replica in use when the control plane was found unreachable. Loop thread only. */
  private URI lostReplica;
  /** Whether the control plane has answered at least once. Loop thread only. */
  private boolean everConnected;
  private volatile String lastError;

  private ControlPlaneClient(Builder b) {
    this.replicas = b.replicas;
    this.token = b.token;
    this.wait = b.wait;
    this.registration = b.registration;
    this.reportInterval = b.reportInterval;
    this.serviceName = b.serviceName != null ? b.serviceName
        : b.registration != null ? b.registration.service() : "unknown";
    this.http = b.http != null ? b.http : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    this.cache = b.cacheFile == null ? null : new StateCache(b.cacheFile);
    loadCache();
    this.loop = new Thread(this::run, "mesh-control-plane-watch");
    loop.setDaemon(true);
    loop.start();
    this.registrar = registration == null ? null
        : new Registrar(this::base, token, http, registration, error -> lastError = error);
  }

  /** A builder for a client of the control plane at {@code base} (e.g. {@code http://127.0.0.1:8500}). */
  public static Builder builder(URI base) {
    Objects.requireNonNull(base, "base");
    return new Builder(List.of(base));
  }

  /**
   * A builder for a client of a control plane with several replicas: the client uses the first one and,
   * when a round fails (no answer, a refusal, a 5xx), moves to the next with jittered backoff, and stays
   * there. On the replica it reaches it registers again if that replica does not know this instance, and
   * a replica with another store history (see {@code docs/control-plane.md}, the store's epoch) makes it
   * fetch the whole state again; within one history it never goes back to a lower revision.
   *
   * @param replicas one or more base URLs, without duplicates
   */
  public static Builder builder(List<URI> replicas) {
    Objects.requireNonNull(replicas, "replicas");
    return new Builder(replicas);
  }

  /** The replica in use. */
  private URI base() {
    return replicas.get(replica);
  }

  /** After a failed round: the next replica, when there are several. Loop thread only. */
  private void failOver() {
    int n = replicas.size();
    if (n > 1) {
      URI from = base();
      replica = (replica + 1) % n;
      URI to = base();
      LOG.info(() -> "failing over from the control plane " + from + " to " + to + " (replica " + (replica + 1)
          + " of " + n + ")");
    }
  }

  /**
   * Starts reporting {@code mesh}'s traffic to the control plane every {@link Builder#reportInterval}
   * (jittered ±20%, gzip, {@code POST /v1/reports}), until this client is closed: who this instance is,
   * the policy revision it runs per service, and per destination service and endpoint the attempts by
   * outcome, a latency histogram, retries, hedges, breaker state and ejections. The control plane
   * aggregates the reports into {@code /v1/topology} and {@code /v1/clients}. Reporting never blocks or
   * slows a call; a report that cannot be sent is dropped and counted.
   *
   * <p>Does nothing when the report interval is zero.
   *
   * @throws IllegalStateException when this client already reports a mesh, or is closed
   */
  public synchronized void report(Mesh mesh) {
    Objects.requireNonNull(mesh, "mesh");
    if (closed) {
      throw new IllegalStateException("the control-plane client for " + base() + " is closed");
    }
    if (reporter != null) {
      throw new IllegalStateException("the control-plane client for " + base() + " already reports a mesh");
    }
    if (reportInterval.isZero()) {
      return;
    }
    reporter = new Reporter(this::base, token, http, mesh, reportInterval, new Reporter.Identity() {
      @Override
      public String service() {
        return serviceName;
      }

      @Override
      public String instanceId() {
        // One id for the life of this client: the registry's id changes when the instance registers again
        // (after an expiry), and the fleet would then count one process twice.
        return localInstanceId;
      }

      @Override
      public String address() {
        return registration == null ? "" : registration.host() + ":" + registration.port();
      }
    }, this::status);
  }

  /**
   * Issues workload certificates through this control plane ({@code POST /v1/services/{name}/certificate}),
   * for a {@link io.mesh4j.identity.WorkloadIdentity}. The token must be scoped to the service (or be the
   * admin token); requests go to the replica in use.
   */
  public io.mesh4j.identity.CertificateIssuer certificateIssuer() {
    return new ControlPlaneIssuer(http, token, this::base);
  }

  /** The connection's state, for health checks. */
  public ControlPlaneStatus status() {
    return new ControlPlaneStatus(connected, revision, fromCache, lastContact, lastError, base());
  }

  /** This client as the mesh's discovery source. */
  public DiscoverySource discovery() {
    return discovery;
  }

  /** This client as the mesh's policy source. */
  public PolicySource policies() {
    return policies;
  }

  private final DiscoverySource discovery = new DiscoverySource() {
    @Override
    public boolean handles(String service) {
      return known.containsKey(service)
          || (service.indexOf('.') < 0 && !service.equals("localhost") && SERVICE_NAME.matcher(service).matches());
    }

    @Override
    public String describe() {
      return "control-plane " + base();
    }

    @Override
    public Subscription subscribe(String service, Consumer<EndpointSet> listener) {
      List<Consumer<EndpointSet>> list = endpointListeners.computeIfAbsent(service, s -> new CopyOnWriteArrayList<>());
      list.add(listener);
      KnownService k = known.get(service);
      if (k != null && k.endpoints() != null) {
        listener.accept(new EndpointSet(service, k.endpointsRevision(), k.endpoints(), k.history()));
      }
      watch(service);
      return () -> list.remove(listener);
    }
  };

  private final PolicySource policies = (service, listener) -> {
    List<Consumer<VersionedPolicy>> list = policyListeners.computeIfAbsent(service, s -> new CopyOnWriteArrayList<>());
    list.add(listener);
    KnownService k = known.get(service);
    if (k != null && k.policy() != null) {
      VersionedPolicy vp = toPolicy(service, k);
      if (vp != null) {
        listener.accept(vp);
      }
    }
    watch(service);
    return () -> list.remove(listener);
  };

  private void watch(String service) {
    if (watched.add(service)) {
      pending.add(service); // the loop asks for its current state before it long-polls again
      // If the loop is between taking pending and publishing inFlight, f is null here: longPoll() then sees
      // pending after publishing and cancels the request itself (see there).
      CompletableFuture<HttpResponse<String>> f = inFlight;
      if (f != null) {
        f.cancel(true); // cut the long-poll short; the loop starts over with the new service list
      }
      synchronized (signal) {
        signal.notifyAll();
      }
    }
  }

  // ---- the watch loop ----

  /**
   * Each round: first a short catch-up ({@code since=0, wait=0}) for the services whose state this client
   * has not asked for yet — every service on the first round and after a failed one, else only those
   * subscribed since the last round — then the long-poll for changes after {@link #revision}.
   *
   * <p>Why the catch-up asks only for the new services: a client that calls many distinct hosts used to
   * ask for the state of every watched service again for each new one. Why the catch-up's answer does not
   * move the revision (unless it covered every service): it says nothing about the services it did not
   * list, whose changes between the two revisions would be skipped. Re-reading a change the catch-up
   * already brought is harmless: revisions equal to what is known notify nobody.
   */
  private void run() {
    int failures = 0;
    int flaps = 0;
    long overflowRefreshedAt = Long.MIN_VALUE;
    while (!closed) {
      if (watched.isEmpty()) {
        synchronized (signal) {
          try {
            signal.wait(1000);
          } catch (InterruptedException e) {
            return;
          }
        }
        continue;
      }
      if (historyFlapping) {
        historyFlapping = false;
        flaps = backoff(flaps); // two store histories by turns: slow down, more each time
      } else if (flaps > 0 && System.nanoTime() - lastHistoryChange >= HISTORY_FLAP.toNanos()) {
        flaps = 0;
      }
      boolean full = needFull.getAndSet(false);
      List<String> fresh = full ? takeAll() : takePending();
      List<String> live = liveList();
      boolean overflow = live.size() < watched.size();
      long now = System.nanoTime();
      boolean refreshOverflow = overflow && !full
          && (overflowRefreshedAt == Long.MIN_VALUE || now - overflowRefreshedAt >= OVERFLOW_REFRESH.toNanos());
      if (refreshOverflow) {
        // Services that do not fit in one long-poll: their state is asked for every OVERFLOW_REFRESH.
        java.util.Set<String> more = new java.util.LinkedHashSet<>(fresh);
        java.util.Set<String> inLive = new java.util.HashSet<>(live);
        for (String s : watched) {
          if (!inLive.contains(s)) {
            more.add(s);
          }
        }
        fresh = new ArrayList<>(more);
        overflowRefreshedAt = now;
      }
      try {
        if (!fresh.isEmpty()) {
          catchUp(fresh, full);
          continue; // the long-poll is built after the catch-up, with whatever was subscribed meanwhile
        }
        Duration waitFor = overflow && wait.compareTo(OVERFLOW_REFRESH) > 0 ? OVERFLOW_REFRESH : wait;
        HttpResponse<String> response = longPoll(live, waitFor);
        lastContact = Instant.now();
        if (response.statusCode() == 200) {
          JsonNode body = JSON.readTree(response.body());
          // Status first: whoever sees an update applied (listeners run inside apply) sees it connected.
          markConnected(true);
          failures = 0;
          if (sameStore(body)) {
            apply(body, true);
          } // else: revisions of another history; the next round fetches everything again

        } else if (response.statusCode() == 304) {
          markConnected(false);
          failures = 0;
        } else {
          refused(response);
          failOver();
          failures = backoff(failures);
        }
      } catch (CancellationException woken) {
        // a new service was subscribed: poll again at once
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (closed) {
          return;
        }
        markLost(describe(e));
        if (!fresh.isEmpty()) {
          // Not caught up: ask again next round.
          if (full) {
            needFull.set(true);
          } else {
            pending.addAll(fresh);
          }
        }
        failOver();
        failures = backoff(failures);
      }
    }
  }

  /** An exception as the status shows it, never "null": the type and, when there is one, its message. */
  private String describe(Exception e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + " talking to " + base() + (m == null || m.isBlank() ? "" : ": " + m);
  }

  private void refused(HttpResponse<String> response) {
    markLost("control plane " + base() + " answered " + response.statusCode()
        + (response.statusCode() == 401 || response.statusCode() == 403 ? " (check the client token)" : "")
        + ": " + abbreviate(response.body()));
  }

  /**
   * The control plane answered. Logged once per change of state (connected for the first time, or back
   * after a loss), not per answer. Called by the loop thread only, as is {@link #markLost}.
   */
  private void markConnected(boolean clearError) {
    if (!connected) {
      Instant since = lostAt;
      if (!everConnected) {
        LOG.info(() -> "connected to the control plane " + base() + " (revision " + revision + ", watching "
            + watched.size() + " services)");
      } else {
        URI now = base();
        URI lost = lostReplica;
        long away = Duration.between(since, Instant.now()).toMillis();
        if (now.equals(lost)) {
          LOG.info(() -> "the control plane " + now + " is back after " + away + " ms (revision " + revision + ")");
        } else {
          LOG.info(() -> "reached the control plane " + now + " after " + away + " ms without one (lost " + lost
              + "; revision " + revision + ")");
        }
      }
    }
    lostAt = null;
    everConnected = true;
    connected = true;
    if (clearError) {
      lastError = null;
    }
  }

  /** The control plane did not answer, or refused: logged when the state changes, with the cause. */
  private void markLost(String error) {
    lastError = error;
    if (connected || lostAt == null) {
      lostAt = Instant.now();
      lostReplica = base();
      LOG.warning(() -> (connected ? "lost the control plane " : "cannot reach the control plane ") + base() + ": "
          + error + "; serving the last known state (revision " + revision + (fromCache ? ", from the cache "
          + cache : "") + ") and retrying with backoff");
    }
    connected = false;
  }

  private List<String> takePending() {
    List<String> taken = new ArrayList<>();
    for (String s : pending) {
      if (pending.remove(s)) {
        taken.add(s);
      }
    }
    return taken;
  }

  private List<String> takeAll() {
    pending.clear(); // every watched service is asked for below, including these
    return new ArrayList<>(watched);
  }

  /**
   * The services of the long-poll: all of them when they fit in one watch, else the first
   * {@link #MAX_PER_WATCH} of: those the control plane knows, then those not asked about yet, then those it
   * said it knows nothing about (hosts that are not mesh services: they must not crowd out real ones).
   */
  private List<String> liveList() {
    List<String> all = new ArrayList<>(watched);
    if (all.size() <= MAX_PER_WATCH) {
      return all;
    }
    all.sort(java.util.Comparator.comparingInt(this::rank));
    return new ArrayList<>(all.subList(0, MAX_PER_WATCH));
  }

  private int rank(String service) {
    KnownService k = known.get(service);
    if (k == null) {
      return 1;
    }
    return k.unknownToControlPlane() ? 2 : 0;
  }

  /**
   * The current state of {@code services} ({@code since=0, wait=0}), in chunks of {@link #MAX_PER_WATCH}.
   * When {@code all} (every watched service), the revision moves to the lowest revision answered.
   */
  private void catchUp(List<String> services, boolean all) throws Exception {
    long lowest = Long.MAX_VALUE;
    List<JsonNode> answers = new ArrayList<>();
    for (int from = 0; from < services.size(); from += MAX_PER_WATCH) {
      List<String> chunk = services.subList(from, Math.min(services.size(), from + MAX_PER_WATCH));
      HttpResponse<String> response = http.send(watchRequest(chunk, 0, Duration.ZERO)
          .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
      lastContact = Instant.now();
      if (response.statusCode() == 200) {
        JsonNode body = JSON.readTree(response.body());
        if (!sameStore(body)) {
          markConnected(true);
          return; // what was read so far belongs to another history: the next round fetches everything
        }
        answers.add(body);
        lowest = Math.min(lowest, body.path("revision").asLong(0));
      } else if (response.statusCode() != 304) { // 304: an empty store, nothing to know yet
        refused(response);
        throw new IOException(lastError);
      }
    }
    markConnected(true);
    // The revision before the listeners, as in apply(): whoever sees the fetched state applied sees the client
    // at its revision (before, status().revision() could still say 0 after a restart's full fetch had been
    // applied: a flake in ControlPlaneClientIT). Every answer is at or above the lowest, so none is skipped.
    if (all && lowest != Long.MAX_VALUE && lowest > revision) {
      revision = lowest;
    }
    for (JsonNode body : answers) {
      apply(body, false);
    }
    if (all) {
      saveCache(); // the epoch with it, even when no service changed
    }
  }

  /**
   * Whether a watch answer comes from the store this client's state came from. If the control plane's
   * store epoch changed (it restarted, perhaps on a store restored from an older backup, whose revisions
   * repeat ones this client has seen with other content), revisions cannot be compared: this client
   * forgets its revision and fetches the whole state of every watched service again ({@code since=0}),
   * so that a policy that reverted or vanished reaches it too. Called by the loop thread only.
   */
  private boolean sameStore(JsonNode body) {
    JsonNode e = body.get("epoch");
    if (e == null || !e.isTextual()) {
      return true; // a control plane from before epochs: revisions are all there is
    }
    String answered = e.asText();
    String had = epoch;
    if (answered.equals(had)) {
      return true;
    }
    epoch = answered;
    if (had == null && revision == 0) {
      return true; // the first answer, and nothing known from before
    }
    long before = revision;
    if (had == null) {
      // State from a cache written before epochs: of an unknown history, so taken as another one.
      LOG.info(() -> "the control plane " + base() + " answers from store history " + answered + "; the state "
          + "this client has (revision " + before + ") has none: fetching the state of every watched service again");
    } else {
      LOG.info(() -> "the control plane " + base() + " answers from another store history (epoch " + had + " -> "
          + answered + ": it restarted, or its store was restored from a backup); fetching the state of every"
          + " watched service again (this client was at revision " + before + ")");
    }
    long now = System.nanoTime();
    if (lastHistoryChange != Long.MIN_VALUE && now - lastHistoryChange < HISTORY_FLAP.toNanos()) {
      // Twice within a short time: two stores answering by turns (replicas without a shared store behind
      // one address?). Each change costs every watched service's state: slow down.
      historyFlapping = true;
      LOG.warning(() -> "the control plane " + base() + " changed store history twice within "
          + HISTORY_FLAP.toSeconds() + " s (epochs " + had + ", " + answered + "): are several replicas without a"
          + " shared store behind one address? Backing off before fetching again");
    }
    lastHistoryChange = now;
    // What is known stays (and is served) until the full answer replaces it; each entry keeps the history
    // it came from, which is what it is labelled with when handed to the mesh.
    revision = 0;
    needFull.set(true);
    return false;
  }

  /** Two changes of store history closer than this are a flap (see {@link #sameStore}). */
  private static final Duration HISTORY_FLAP = Duration.ofSeconds(30);
  /** When the store history last changed ({@link System#nanoTime}); loop thread only. */
  private long lastHistoryChange = Long.MIN_VALUE;
  /** Set by {@link #sameStore} on a flap: the loop backs off once before fetching again. Loop thread only. */
  private boolean historyFlapping;

  /** The history the state handed to the mesh belongs to: the store's epoch ("" before any is known). */
  private String history() {
    String e = epoch;
    return e == null ? "" : e;
  }

  private HttpResponse<String> longPoll(List<String> services, Duration waitFor) throws Exception {
    CompletableFuture<HttpResponse<String>> f = http.sendAsync(
        watchRequest(services, revision, waitFor).timeout(waitFor.plusSeconds(15)).build(),
        HttpResponse.BodyHandlers.ofString());
    inFlight = f;
    // No subscription can be lost between run() taking pending and the line above (the list may lack the
    // new service, and a since=R request is held for the whole wait). watch() does [add to watched and
    // pending; read inFlight, cancel it]; this thread does [take pending; build the list from watched;
    // inFlight := f; read pending]. All are volatile or concurrent-collection operations, so they are
    // totally ordered: if watch() added to pending before the read below, the read sees it and cancels f;
    // otherwise inFlight := f came before watch() read inFlight, which then sees f (or null once this poll
    // is over) and cancels it. Either way this poll ends at once and the next round catches the new
    // service up and long-polls with it.
    if (!pending.isEmpty() || needFull.get()) {
      f.cancel(true);
    }
    try {
      return f.get(waitFor.toMillis() + 20_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new IOException("no answer from " + base() + " within " + (waitFor.toMillis() + 20_000) + " ms");
    } finally {
      inFlight = null;
    }
  }

  /** {@code POST /v1/watch}: the service names go in the body, so thousands of them fit. */
  private HttpRequest.Builder watchRequest(List<String> services, long since, Duration waitFor) {
    ObjectNode body = JSON.createObjectNode();
    var names = body.putArray("services");
    services.forEach(names::add);
    body.put("since", since);
    body.put("wait", Math.max(0, waitFor.toMillis()) + "ms");
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot happen: writing a JSON tree", e);
    }
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base() + "/v1/watch"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
        .header("Content-Type", "application/json");
    if (token != null) {
      req.header("Authorization", "Bearer " + token);
    }
    return req;
  }

  /** Sleeps a jittered exponential backoff (0.5 s doubling to 30 s, x[0.5, 1.5)); returns failures + 1. */
  private int backoff(int failures) {
    long ceiling = Math.min(30_000, 500L << Math.min(failures, 6));
    long sleep = (long) (ceiling * (0.5 + ThreadLocalRandom.current().nextDouble()));
    synchronized (signal) {
      try {
        signal.wait(sleep); // close() wakes it
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return failures + 1;
  }

  /**
   * Applies a watch answer: every changed service, then (when {@code advance}) the new revision; never
   * goes backwards.
   */
  private void apply(JsonNode body, boolean advance) {
    long newRevision = body.path("revision").asLong(-1);
    if (newRevision < revision) {
      return; // an answer from before what we have (e.g. a lagging replica): ignore
    }
    List<Runnable> notifications = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = body.path("services").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      applyService(e.getKey(), e.getValue(), history(), notifications);
    }
    // The revision before the listeners: whoever sees an update applied sees the client at its revision.
    if (advance) {
      revision = newRevision;
    }
    fromCache = false;
    notifications.forEach(Runnable::run);
    if (!notifications.isEmpty()) {
      saveCache();
    }
  }

  /** Stores the service's new state and queues the listener notifications its changes call for. */
  private void applyService(String service, JsonNode n, String history, List<Runnable> notifications) {
    KnownService old = known.get(service);
    // Another history: its revisions say nothing about the old ones (equal numbers, other content).
    boolean sameHistory = old != null && old.history().equals(history);
    JsonNode policy = KnownService.policyOf(n);
    long policyRevision = n.path("policyRevision").asLong(0);
    long endpointsRevision = n.path("endpointsRevision").asLong(0);
    List<Endpoint> endpoints;
    try {
      endpoints = KnownService.endpointsOf(n);
    } catch (RuntimeException bad) {
      lastError = "endpoints of '" + service + "' rejected: " + bad.getMessage();
      endpoints = old == null ? List.of() : old.endpoints();
      endpointsRevision = old == null ? 0 : old.endpointsRevision();
    }
    KnownService k = new KnownService(policy, policyRevision, endpoints, endpointsRevision, history);
    known.put(service, k);
    if (!sameHistory || old.policyRevision() != policyRevision) {
      VersionedPolicy vp = toPolicy(service, k);
      if (vp != null) {
        long rev = policyRevision;
        notifications.add(() -> {
          // A service the control plane has never heard of (revision 0) is not news: not at INFO.
          LOG.log(rev == 0 ? Level.FINE : Level.INFO, () -> "service '" + service + "': " + (vp.policy() == null
              ? "no policy (defaults apply)" : "policy") + " at revision " + rev + " applied");
          tell(policyListeners.getOrDefault(service, List.of()), vp, "policy revision " + rev, service);
        });
      }
    }
    if (!sameHistory || old.endpointsRevision() != endpointsRevision) {
      EndpointSet set = new EndpointSet(service, endpointsRevision, endpoints, history);
      long rev = endpointsRevision;
      notifications.add(() -> {
        LOG.fine(() -> "service '" + service + "': " + set.endpoints().size() + " endpoints at revision " + rev);
        tell(endpointListeners.getOrDefault(service, List.of()), set, "endpoints revision " + rev, service);
      });
    }
  }

  /**
   * Hands an update to every listener, each on its own: one that throws is reported and the others still
   * get the update. The update is known (stored above) either way and the connection is not blamed: a
   * listener's failure says nothing about the control plane, and treating it as a lost connection used to
   * re-poll an update that was already stored, so it never reached anyone again.
   */
  private <T> void tell(List<Consumer<T>> listeners, T update, String what, String service) {
    for (Consumer<T> l : listeners) {
      try {
        l.accept(update);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "a listener of '" + service + "' failed on " + what + "; the others got it", e);
      }
    }
  }

  /** The policy to hand to the mesh, or null when it is invalid (the one in force is kept). */
  private VersionedPolicy toPolicy(String service, KnownService k) {
    if (k.policy() == null) {
      return new VersionedPolicy(service, k.policyRevision(), null, k.history());
    }
    try {
      // Nulls dropped first: a control plane from before null was refused may have stored one, meaning
      // "the default" (what leaving the field out means now); refusing it would lose the whole policy.
      ServicePolicy p = PolicyCodec.fromTree(io.mesh4j.internal.JsonText.withoutNulls(k.policy()));
      return new VersionedPolicy(service, k.policyRevision(), p, k.history());
    } catch (InvalidPolicyException e) {
      lastError = "policy of '" + service + "' at revision " + k.policyRevision() + " rejected, keeping the one in force: "
          + e.getMessage();
      LOG.warning(lastError);
      return null;
    }
  }

  // ---- last-known-good cache ----

  private void loadCache() {
    if (cache == null) {
      return;
    }
    try {
      JsonNode root = cache.load();
      if (root == null) {
        return;
      }
      JsonNode cachedEpoch = root.get("epoch");
      epoch = cachedEpoch != null && cachedEpoch.isTextual() ? cachedEpoch.asText() : null;
      List<Runnable> notifications = new ArrayList<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = root.path("services").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        applyService(e.getKey(), e.getValue(), KnownService.historyOf(e.getValue(), history()), notifications);
      }
      revision = root.path("revision").asLong(0);
      fromCache = true;
      LOG.info(() -> "loaded " + known.size() + " services at revision " + revision + " from the cache " + cache
          + "; they are served from it until the control plane " + base() + " answers");
      notifications.forEach(Runnable::run); // none subscribed yet at start-up, normally
    } catch (IOException | RuntimeException e) {
      lastError = "cache file " + cache + " unreadable, ignored: " + e.getMessage();
      LOG.log(Level.WARNING, lastError);
    }
  }

  private void saveCache() {
    if (cache != null) {
      cache.save(revision, epoch, known);
    }
  }

  static String abbreviate(String s) {
    return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "…" : s;
  }

  /** Stops watching, deregisters this instance (best effort) and stops heartbeats. */
  @Override
  public void close() {
    closed = true;
    CompletableFuture<HttpResponse<String>> f = inFlight;
    if (f != null) {
      f.cancel(true);
    }
    synchronized (signal) {
      signal.notifyAll();
    }
    loop.interrupt();
    synchronized (this) {
      if (reporter != null) {
        reporter.close();
      }
    }
    if (registrar != null) {
      registrar.close();
    }
  }

  /** Configures a {@link ControlPlaneClient}. */
  public static final class Builder {
    private final List<URI> replicas;
    private String token;
    private Path cacheFile;
    private Duration wait = Duration.ofSeconds(30);
    private HttpClient http;
    private Registration registration;
    private Duration reportInterval = Duration.ofSeconds(10);
    private String serviceName;

    private Builder(List<URI> given) {
      if (given.isEmpty()) {
        throw new IllegalArgumentException("replicas: none (expected: one or more control-plane base URLs)");
      }
      List<URI> list = new ArrayList<>(given.size());
      for (URI base : given) {
        Objects.requireNonNull(base, "replicas: a null URL");
        String s = base.toString();
        URI u = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        if (u.getScheme() == null || !(u.getScheme().equalsIgnoreCase("http") || u.getScheme().equalsIgnoreCase("https"))
            || u.getHost() == null) {
          throw new IllegalArgumentException("replicas: " + base + " (expected: an http or https base URL, e.g."
              + " http://mesh-control-plane:7070)");
        }
        if (list.contains(u)) {
          throw new IllegalArgumentException("replicas: " + u + " given twice (expected: each replica once)");
        }
        list.add(u);
      }
      this.replicas = List.copyOf(list);
    }

    /** The client token (watch, register). Never logged. */
    public Builder token(String value) {
      token = value;
      return this;
    }

    /** Where the last-known-good state is kept; null: no cache. */
    public Builder cacheFile(Path value) {
      cacheFile = value;
      return this;
    }

    /** How long one long-poll may be held (default 30 s). */
    public Builder waitTime(Duration value) {
      if (value.isNegative() || value.compareTo(Duration.ofMinutes(5)) > 0) {
        throw new IllegalArgumentException("waitTime: " + value + " (expected: 0..5m)");
      }
      wait = value;
      return this;
    }

    /** The HTTP client to use (default: a new JDK HttpClient). */
    public Builder httpClient(HttpClient value) {
      http = Objects.requireNonNull(value, "httpClient");
      return this;
    }

    /** Registers this service's instance and keeps it alive until {@link #close()}. */
    public Builder register(Registration value) {
      registration = value;
      return this;
    }

    /**
     * How often {@link ControlPlaneClient#report(Mesh)} sends a report (default 10 s, jittered ±20%);
     * {@link Duration#ZERO} turns reporting off.
     */
    public Builder reportInterval(Duration value) {
      if (value == null || value.isNegative() || (!value.isZero() && value.compareTo(Duration.ofMillis(100)) < 0)
          || value.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("reportInterval: " + (value == null ? "missing" : value)
            + " (expected: 0 to turn reporting off, or"
            + " 100ms..10m)");
      }
      reportInterval = value;
      return this;
    }

    /**
     * The name of the service this instance belongs to, as its reports give it (the caller in the
     * topology). Default: the {@link #register registration}'s service, else {@code unknown}.
     */
    public Builder serviceName(String value) {
      if (value == null || !SERVICE_NAME.matcher(value).matches()) {
        throw new IllegalArgumentException("serviceName: " + (value == null ? "missing" : "'" + value + "'")
            + " (expected: a service name, lowercase letters, digits and '-', e.g. checkout)");
      }
      serviceName = value;
      return this;
    }

    /** Starts the watch loop (and registration); returns at once. */
    public ControlPlaneClient build() {
      return new ControlPlaneClient(this);
    }
  }
}

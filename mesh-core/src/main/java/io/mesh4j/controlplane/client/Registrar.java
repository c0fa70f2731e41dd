package io.mesh4j.controlplane.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Registers this service's instance with the control plane and keeps it alive: a heartbeat every third
 * of the TTL on its own daemon thread; registers again when the control plane has expired it (it was
 * away longer than the TTL); deregisters on {@link #close()} (best effort: the TTL expires it otherwise).
 */
final class Registrar implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ControlPlaneClient.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The replica in use (it changes when the client fails over). */
  private final java.util.function.Supplier<URI> base;
  private final String token;
  private final HttpClient http;
  private final Registration registration;
  private final Consumer<String> onError;
  private final ScheduledExecutorService heartbeats;
  /** Written only by the heartbeat thread; read by close(). */
  private volatile String instanceId;
  /** The replica that gave {@link #instanceId}. Written only by the heartbeat thread. */
  private volatile URI registeredWith;

  Registrar(java.util.function.Supplier<URI> base, String token, HttpClient http, Registration registration, Consumer<String> onError) {
    this.base = base;
    this.token = token;
    this.http = http;
    this.registration = registration;
    this.onError = onError;
    this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mesh-control-plane-heartbeat");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(1000, registration.ttl().toMillis() / 3);
    heartbeats.scheduleWithFixedDelay(this::heartbeat, 0, period, TimeUnit.MILLISECONDS);
  }

  /** The id the control plane gave this instance; null until registered. */
  String instanceId() {
    return instanceId;
  }

  private String what() {
    return registration.service() + " instance " + registration.host() + ":" + registration.port();
  }

  private void heartbeat() {
    URI cp = base.get(); // one replica per heartbeat, even if the client fails over meanwhile
    try {
      String id = instanceId;
      if (id == null) {
        register(cp);
        return;
      }
      HttpResponse<String> r = send(HttpRequest.newBuilder(
          URI.create(cp + "/v1/services/" + registration.service() + "/instances/" + id + "/heartbeat"))
          .PUT(HttpRequest.BodyPublishers.noBody()));
      if (r.statusCode() == 404) {
        URI before = registeredWith;
        if (cp.equals(before)) {
          LOG.warning(() -> "the control plane " + cp + " had expired " + what() + " (away longer than its TTL, "
              + registration.ttl().toMillis() + " ms); registering it again");
        } else {
          LOG.info(() -> "the control plane " + cp + " does not know " + what() + " (registered with " + before
              + "); registering it there");
        }
        instanceId = null;
        register(cp);
      } else if (r.statusCode() / 100 != 2) {
        onError.accept("heartbeat of " + what() + " refused by " + cp + ": " + r.statusCode() + " "
            + ControlPlaneClient.abbreviate(r.body()));
      }
    } catch (IOException e) {
      onError.accept("heartbeat of " + what() + " to " + cp + " failed: " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      // Caught so that the schedule goes on: an exception would cancel every later heartbeat.
      onError.accept("heartbeat of " + what() + " to " + cp + " failed: " + e);
      LOG.log(Level.WARNING, "heartbeat of " + what() + " failed", e);
    }
  }

  private void register(URI cp) throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode();
    body.put("host", registration.host());
    body.put("port", registration.port());
    body.put("weight", registration.weight());
    body.put("zone", registration.zone());
    ObjectNode labels = body.putObject("labels");
    registration.labels().forEach(labels::put);
    body.put("ttl", registration.ttl().toMillis() + "ms");
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(cp + "/v1/services/" + registration.service() + "/instances"))
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
        .header("Content-Type", "application/json"));
    if (r.statusCode() / 100 == 2) {
      String id = JSON.readTree(r.body()).path("instanceId").asText(null);
      instanceId = id;
      registeredWith = cp;
      LOG.info(() -> "registered " + what() + " with the control plane " + cp + " as " + id);
    } else {
      onError.accept("registering " + what() + " with " + cp + " failed: " + r.statusCode() + " "
          + ControlPlaneClient.abbreviate(r.body()));
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder req) throws IOException, InterruptedException {
    req.timeout(Duration.ofSeconds(5));
    if (token != null) {
      req.header("Authorization", "Bearer " + token);
    }
    return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Stops heartbeats and deregisters the instance (best effort). */
  @Override
  public void close() {
    heartbeats.shutdownNow();
    String id = instanceId;
    if (id == null) {
      return;
    }
    try {
      URI cp = registeredWith; // the replica that knows this id
      send(HttpRequest.newBuilder(URI.create((cp != null ? cp : base.get()) + "/v1/services/" + registration.service()
          + "/instances/" + id)).DELETE());
    } catch (IOException e) {
      LOG.log(Level.FINE, "deregistering " + what() + " failed (the TTL will expire it)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

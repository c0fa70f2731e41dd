package io.mesh4j.controlplane.client;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * This service's own instance, registered with the control plane and kept alive by heartbeats
 * (every third of the TTL) until the client is closed, when it is deregistered.
 *
 * @param service the service name
 * @param host    the address others should connect to
 * @param port    the port
 * @param weight  1..10000
 * @param zone    "" when unknown
 * @param labels  e.g. version=v2
 * @param ttl     how long the control plane keeps the instance without a heartbeat (>= 3s)
 */
public record Registration(String service, String host, int port, int weight, String zone, Map<String, String> labels,
    Duration ttl) {
  public Registration {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
    }
    if (ttl == null || ttl.compareTo(Duration.ofSeconds(3)) < 0) {
      throw new IllegalArgumentException("ttl: " + ttl + " (expected: >= 3s)");
    }
    zone = zone == null ? "" : zone;
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  /** Weight 1, no zone, no labels, a 30 s TTL. */
  public static Registration of(String service, String host, int port) {
    return new Registration(service, host, port, 1, "", Map.of(), Duration.ofSeconds(30));
  }
}

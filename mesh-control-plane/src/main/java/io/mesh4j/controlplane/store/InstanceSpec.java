package io.mesh4j.controlplane.store;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What an instance asks to be registered as: its address, balancing metadata and the TTL its heartbeats
 * must beat. Already validated by the caller (the server answers 400 for bad values).
 */
public record InstanceSpec(String host, int port, int weight, String zone, Map<String, String> labels,
    Duration ttl) {
  public InstanceSpec {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(ttl, "ttl");
    zone = zone == null ? "" : zone;
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  /** {@code host:port}; an instance's identity within its service. */
  public String address() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}

package io.mesh4j.discovery;

import java.util.Map;
import java.util.Objects;

/**
 * One instance of a service: an address plus the metadata balancing and routing use.
 *
 * @param host   host name or IP literal to connect to
 * @param port   TCP port, 1..65535
 * @param weight relative share of traffic, 1..10000 (default 1)
 * @param zone   locality zone, or the empty string when unknown
 * @param labels free-form labels (for example {@code version=v2}) that routes select subsets by
 */
public record Endpoint(String host, int port, int weight, String zone, Map<String, String> labels) {

  /** The largest accepted weight. */
  public static final int MAX_WEIGHT = 10_000;

  public Endpoint {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host: '' (expected: a host name or IP address)");
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
    }
    if (weight < 1 || weight > MAX_WEIGHT) {
      throw new IllegalArgumentException("weight: " + weight + " (expected: 1.." + MAX_WEIGHT + ")");
    }
    zone = zone == null ? "" : zone;
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  /** An endpoint with weight 1, no zone and no labels. */
  public static Endpoint of(String host, int port) {
    return new Endpoint(host, port, 1, "", Map.of());
  }

  /**
   * Parses {@code host:port} (an IPv6 literal in brackets: {@code [::1]:8080}).
   *
   * @throws IllegalArgumentException naming the input and the expected form
   */
  public static Endpoint parse(String hostPort) {
    Objects.requireNonNull(hostPort, "hostPort");
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException("endpoint: '" + hostPort + "' (expected: host:port)");
    }
    String host = hostPort.substring(0, colon);
    boolean bracketed = host.startsWith("[") && host.endsWith("]");
    if (bracketed) {
      host = host.substring(1, host.length() - 1);
    }
    if ((!bracketed && host.indexOf(':') >= 0) || host.indexOf('[') >= 0 || host.indexOf(']') >= 0) {
      throw new IllegalArgumentException("endpoint: '" + hostPort
          + "' (expected: host:port, with an IPv6 address in brackets as in [::1]:8080)");
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("endpoint: '" + hostPort + "' (expected: host:port with a numeric port)");
    }
    return of(host, port);
  }

  /** This endpoint with another weight. */
  public Endpoint withWeight(int newWeight) {
    return new Endpoint(host, port, newWeight, zone, labels);
  }

  /** This endpoint with another zone. */
  public Endpoint withZone(String newZone) {
    return new Endpoint(host, port, weight, newZone, labels);
  }

  /** This endpoint with another set of labels. */
  public Endpoint withLabels(Map<String, String> newLabels) {
    return new Endpoint(host, port, weight, zone, newLabels);
  }

  /** {@code host:port}, the identity the balancer keeps statistics under. */
  public String address() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }

  @Override
  public String toString() {
    return address();
  }
}

package io.mesh4j.examples.shop.common;

import java.time.Duration;
import java.util.Map;

/**
 * One instance of a shop service as the demo starts it: its service, its name (shown in the live view
 * and sent back in {@code x-served-by}), the labels it registers with (the canary's {@code version}),
 * and how it misbehaves on purpose.
 *
 * @param extraLatency added to every request (the slow product instance)
 * @param failurePercent share of requests answered 503 (the flaky payment instance)
 */
public record InstanceSpec(String service, String name, Map<String, String> labels, Duration extraLatency,
    int failurePercent) {

  public InstanceSpec {
    labels = Map.copyOf(labels);
    if (failurePercent < 0 || failurePercent > 100) {
      throw new IllegalArgumentException("failurePercent: " + failurePercent + " (expected: 0..100)");
    }
  }

  public static InstanceSpec of(String service, String name, String version) {
    return new InstanceSpec(service, name, Map.of("version", version), Duration.ZERO, 0);
  }

  public InstanceSpec slow(Duration extra) {
    return new InstanceSpec(service, name, labels, extra, failurePercent);
  }

  public InstanceSpec flaky(int percent) {
    return new InstanceSpec(service, name, labels, extraLatency, percent);
  }

  public String version() {
    return labels.getOrDefault("version", "");
  }

  /** "slow +50ms", "flaky 5%", or "". */
  public String quirk() {
    if (!extraLatency.isZero()) {
      return "slow +" + extraLatency.toMillis() + "ms";
    }
    return failurePercent > 0 ? "flaky " + failurePercent + "%" : "";
  }
}

package io.mesh4j.grpc;

import io.mesh4j.policy.HedgePolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.ServicePolicy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import io.grpc.Status;
import java.util.TreeSet;

/**
 * A mesh {@link ServicePolicy} written as a gRPC service config: the parts of the policy gRPC can
 * enforce natively (the total timeout, retries, hedging, retry throttling) go where gRPC's own retry
 * machinery reads them, and {@code loadBalancingConfig} selects the mesh balancer
 * ({@value MeshLoadBalancerProvider#POLICY_NAME}). The name resolver delivers a fresh one with every
 * endpoint or policy change, so a policy pushed at run time changes a live channel.
 *
 * <p>The map is JSON-shaped, as gRPC's service-config parser expects: numbers are {@link Double}s,
 * durations strings such as {@code "1.500s"}, lists {@link List}s. See {@code docs/grpc.md} for the
 * mapping and where it differs from the HTTP stack.
 */
public final class ServiceConfigs {
  /** gRPC's bound on retryThrottling.maxTokens. */
  private static final int MAX_TOKENS_LIMIT = 1000;

  private ServiceConfigs() {}

  /**
   * The gRPC service config for {@code policy}: one default method config (every method of the
   * service) with its timeout and retry or hedging policy, retry throttling from the retry budget, and
   * the mesh load balancer.
   */
  public static Map<String, ?> of(ServicePolicy policy) {
    Objects.requireNonNull(policy, "policy");
    Map<String, Object> methodConfig = new LinkedHashMap<>();
    methodConfig.put("name", List.of(Map.of())); // {}: every service and method of the channel
    methodConfig.put("timeout", duration(policy.timeouts().total()));

    RetryPolicy retries = policy.retries();
    HedgePolicy hedging = policy.hedging();
    boolean budgetAllowsRetries = retries.budgetPercent() > 0 || retries.budgetMinPerSecond() > 0;
    List<String> codes = retryableCodes(retries);
    // gRPC forbids retryPolicy and hedgingPolicy in one method config. Hedging wins when the policy asks
    // for it at a fixed delay; a percentile delay has no native equivalent, so the retry policy applies.
    boolean hedge = hedging.enabled() && hedging.percentile() == 0 && budgetAllowsRetries;
    if (hedge) {
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("maxAttempts", (double) hedging.maxAttempts());
      h.put("hedgingDelay", duration(hedging.delay()));
      h.put("nonFatalStatusCodes", codes);
      methodConfig.put("hedgingPolicy", h);
    } else if (retries.enabled() && retries.maxAttempts() > 1 && budgetAllowsRetries) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("maxAttempts", (double) retries.maxAttempts());
      r.put("initialBackoff", duration(retries.backoffBase()));
      r.put("maxBackoff", duration(retries.backoffCap()));
      r.put("backoffMultiplier", 2.0);
      r.put("retryableStatusCodes", codes);
      methodConfig.put("retryPolicy", r);
    }

    Map<String, Object> config = new LinkedHashMap<>();
    config.put("loadBalancingConfig", List.of(Map.of(MeshLoadBalancerProvider.POLICY_NAME, Map.of())));
    config.put("methodConfig", List.of(methodConfig));
    if (methodConfig.containsKey("retryPolicy") || methodConfig.containsKey("hedgingPolicy")) {
      config.put("retryThrottling", retryThrottling(retries));
    }
    return config;
  }

  /**
   * UNAVAILABLE always (what gRPC uses for "not sent / connection failed / server going away", the case
   * the mesh retries for any method), plus the gRPC codes of the HTTP statuses in {@code retryOn}
   * ({@link io.mesh4j.GrpcCodes#forHttpStatus}).
   */
  static List<String> retryableCodes(RetryPolicy retries) {
    TreeSet<String> codes = new TreeSet<>();
    codes.add("UNAVAILABLE");
    for (int status : retries.retryOn()) {
      // The same mapping as injected aborts: retryOn [429] retries RESOURCE_EXHAUSTED, which a 429 abort
      // (and a server shedding load) produces. 499 ("client closed request") opts in to retrying a stream
      // the server reset with RST_STREAM(CANCEL), as a server shut down with calls in flight does (Envoy's
      // "cancelled" retry-on); a call the caller cancelled is never retried by gRPC.
      Status.Code code = ClientFaults.codeFor(status);
      // Except DEADLINE_EXCEEDED (408, 504): on gRPC it is nearly always the call's own deadline
      // (AnswerClass.TIMEOUT), and once that has passed there is nothing left to retry in.
      if (code != Status.Code.DEADLINE_EXCEEDED) {
        codes.add(code.name());
      }
    }
    return List.copyOf(codes);
  }

  /**
   * gRPC's retry throttling is a token bucket per channel: a failed attempt (a retryable status) takes
   * one token, a success gives back {@code tokenRatio}, and retries and hedges stop while fewer than
   * half of {@code maxTokens} are left. The mesh budget allows retries up to {@code percent}% of
   * requests plus {@code minPerSecond} per second, with one second's worth up front. So:
   * {@code tokenRatio = percent / 100} (each success earns that share of a retry, gRPC keeps three
   * decimals; at least 0.001 as gRPC requires a positive ratio) and {@code maxTokens = 2 × minPerSecond}
   * (clamped to 2..1000), so the full bucket allows a burst of {@code minPerSecond} failures before
   * throttling. Differences: gRPC's bucket has no clock — the per-second floor does not refill with
   * time, only successes refill it, and {@code ttl} has no equivalent.
   */
  static Map<String, ?> retryThrottling(RetryPolicy retries) {
    double ratio = Math.max(0.001, retries.budgetPercent() / 100.0);
    int maxTokens = Math.max(2, Math.min(MAX_TOKENS_LIMIT, 2 * retries.budgetMinPerSecond()));
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("maxTokens", (double) maxTokens);
    t.put("tokenRatio", ratio);
    return t;
  }

  /** A protobuf-JSON duration: seconds with 3 decimals ({@code "1.500s"}), or 9 when sub-millisecond. */
  static String duration(Duration d) {
    long seconds = d.getSeconds();
    int nanos = d.getNano();
    if (nanos % 1_000_000 == 0) {
      return String.format(java.util.Locale.ROOT, "%d.%03ds", seconds, nanos / 1_000_000);
    }
    return String.format(java.util.Locale.ROOT, "%d.%09ds", seconds, nanos);
  }
}

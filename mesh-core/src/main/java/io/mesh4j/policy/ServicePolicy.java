package io.mesh4j.policy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything the mesh does for calls to one service, as one immutable value. The control plane stores
 * it as JSON ({@link PolicyCodec}); clients swap a new revision in atomically, so a call sees either
 * the old policy or the new one, never a mix.
 *
 * <pre>{@code
 * ServicePolicy p = ServicePolicy.builder()
 *     .totalTimeout(Duration.ofSeconds(2))
 *     .balancer(BalancerAlgorithm.P2C_PEAK_EWMA)
 *     .retries(RetryPolicy.builder().maxAttempts(2).build())
 *     .routes(List.of(Route.toSubset("canary", Map.of("x-canary", "true"), Map.of("version", "v2"))))
 *     .build();
 * }</pre>
 *
 * @param timeouts       total and per-attempt timeouts
 * @param balancer       endpoint picking
 * @param outlier        per-endpoint ejection
 * @param retries        retry classification, budget and backoff
 * @param hedging        backup requests (off by default)
 * @param circuitBreaker the service-level breaker
 * @param limits         client-side rate and concurrency limits (off by default)
 * @param faults         fault injection (none by default)
 * @param routes         routing rules, first match wins (none by default: all endpoints)
 * @param authorization  who may call this service, enforced where it serves (no rules by default: anyone)
 */
public record ServicePolicy(
    TimeoutPolicy timeouts,
    BalancerPolicy balancer,
    OutlierPolicy outlier,
    RetryPolicy retries,
    HedgePolicy hedging,
    CircuitBreakerPolicy circuitBreaker,
    LimitPolicy limits,
    FaultPolicy faults,
    List<Route> routes,
    AuthorizationPolicy authorization) {

  /** The most routes one service may have. */
  public static final int MAX_ROUTES = 100;

  /** The defaults of DESIGN.md. */
  public static final ServicePolicy DEFAULT = new ServicePolicy(TimeoutPolicy.DEFAULT, BalancerPolicy.DEFAULT,
      OutlierPolicy.DEFAULT, RetryPolicy.DEFAULT, HedgePolicy.DEFAULT, CircuitBreakerPolicy.DEFAULT,
      LimitPolicy.DEFAULT, FaultPolicy.NONE, List.of(), AuthorizationPolicy.NONE);

  public ServicePolicy {
    Objects.requireNonNull(timeouts, "timeouts");
    Objects.requireNonNull(balancer, "balancer");
    Objects.requireNonNull(outlier, "outlier");
    Objects.requireNonNull(retries, "retries");
    Objects.requireNonNull(hedging, "hedging");
    Objects.requireNonNull(circuitBreaker, "circuitBreaker");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(faults, "faults");
    routes = List.copyOf(Objects.requireNonNull(routes, "routes"));
    Objects.requireNonNull(authorization, "authorization");
    if (routes.size() > MAX_ROUTES) {
      throw new InvalidPolicyException(List.of(new InvalidPolicyException.Violation("routes",
          routes.size() + " routes (expected: at most " + MAX_ROUTES + ")")));
    }
    java.util.Set<String> names = new java.util.HashSet<>();
    for (Route r : routes) {
      if (!names.add(r.name())) {
        throw new InvalidPolicyException(List.of(new InvalidPolicyException.Violation("routes[" + r.name() + "].name",
            "'" + r.name() + "' used twice (expected: unique route names)")));
      }
    }
  }

  /** Every client-side section; no authorization rules. */
  public ServicePolicy(TimeoutPolicy timeouts, BalancerPolicy balancer, OutlierPolicy outlier, RetryPolicy retries,
      HedgePolicy hedging, CircuitBreakerPolicy circuitBreaker, LimitPolicy limits, FaultPolicy faults,
      List<Route> routes) {
    this(timeouts, balancer, outlier, retries, hedging, circuitBreaker, limits, faults, routes,
        AuthorizationPolicy.NONE);
  }

  /** The three sections of the foundation; everything else at its default. */
  public ServicePolicy(TimeoutPolicy timeouts, BalancerPolicy balancer, OutlierPolicy outlier) {
    this(timeouts, balancer, outlier, RetryPolicy.DEFAULT, HedgePolicy.DEFAULT, CircuitBreakerPolicy.DEFAULT,
        LimitPolicy.DEFAULT, FaultPolicy.NONE, List.of());
  }

  /** A builder starting from {@link #DEFAULT}. */
  public static Builder builder() {
    return new Builder(DEFAULT);
  }

  /** A builder starting from this policy. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builds a {@link ServicePolicy}. */
  public static final class Builder {
    private TimeoutPolicy timeouts;
    private BalancerPolicy balancer;
    private OutlierPolicy outlier;
    private RetryPolicy retries;
    private HedgePolicy hedging;
    private CircuitBreakerPolicy circuitBreaker;
    private LimitPolicy limits;
    private FaultPolicy faults;
    private List<Route> routes;
    private AuthorizationPolicy authorization;

    private Builder(ServicePolicy from) {
      timeouts = from.timeouts;
      balancer = from.balancer;
      outlier = from.outlier;
      retries = from.retries;
      hedging = from.hedging;
      circuitBreaker = from.circuitBreaker;
      limits = from.limits;
      faults = from.faults;
      routes = from.routes;
      authorization = from.authorization;
    }

    public Builder timeouts(TimeoutPolicy value) {
      timeouts = Objects.requireNonNull(value, "timeouts");
      return this;
    }

    public Builder totalTimeout(Duration value) {
      timeouts = timeouts.withTotal(value);
      return this;
    }

    public Builder perAttemptTimeout(Duration value) {
      timeouts = timeouts.withPerAttempt(value);
      return this;
    }

    public Builder balancer(BalancerPolicy value) {
      balancer = Objects.requireNonNull(value, "balancer");
      return this;
    }

    public Builder balancer(BalancerAlgorithm algorithm) {
      balancer = balancer.withAlgorithm(algorithm);
      return this;
    }

    public Builder outlier(OutlierPolicy value) {
      outlier = Objects.requireNonNull(value, "outlier");
      return this;
    }

    public Builder retries(RetryPolicy value) {
      retries = Objects.requireNonNull(value, "retries");
      return this;
    }

    public Builder hedging(HedgePolicy value) {
      hedging = Objects.requireNonNull(value, "hedging");
      return this;
    }

    public Builder circuitBreaker(CircuitBreakerPolicy value) {
      circuitBreaker = Objects.requireNonNull(value, "circuitBreaker");
      return this;
    }

    public Builder limits(LimitPolicy value) {
      limits = Objects.requireNonNull(value, "limits");
      return this;
    }

    public Builder faults(FaultPolicy value) {
      faults = Objects.requireNonNull(value, "faults");
      return this;
    }

    public Builder routes(List<Route> value) {
      routes = Objects.requireNonNull(value, "routes");
      return this;
    }

    public Builder authorization(AuthorizationPolicy value) {
      authorization = Objects.requireNonNull(value, "authorization");
      return this;
    }

    public ServicePolicy build() {
      return new ServicePolicy(timeouts, balancer, outlier, retries, hedging, circuitBreaker, limits, faults, routes,
          authorization);
    }
  }
}

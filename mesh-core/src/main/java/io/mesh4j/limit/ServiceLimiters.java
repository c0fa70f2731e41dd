package io.mesh4j.limit;

import io.mesh4j.ServiceRuntime;
import io.mesh4j.policy.LimitPolicy;
import io.mesh4j.policy.LimitPolicy.Concurrency;
import io.mesh4j.time.Ticker;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Client-side limits per service, built from each service's {@link LimitPolicy}.
 *
 * <pre>{@code
 * ServiceLimiters limiters = new ServiceLimiters(mesh.ticker());
 * ServiceLimiter l = limiters.forService(mesh.service("orders"));
 * if (l != null) {        // null: the policy sets no limit
 *   l.acquire();          // throws LimitExceededException, nothing sent
 *   ... send, then l.onSuccess() / l.onDropped() / l.onIgnored()
 * }
 * }</pre>
 *
 * <h2>Policy changes</h2>
 * When a service's {@code limits} section changes (by value), its limiter is rebuilt, keeping the parts
 * whose settings did not change: the token bucket when rate and burst are the same, the concurrency
 * limiter (with its calls in flight and its learned adaptive limit) when mode, min and max are the same.
 * A part that did change starts afresh: a new bucket starts full, a new concurrency limiter starts with
 * nothing in flight, so calls still in flight under the old one are not counted against the new one
 * (they release the limiter they came from).
 *
 * <h2>Concurrency</h2>
 * As in {@code ServiceBreakers}: one {@link ConcurrentHashMap#get} and an identity check on the
 * request path, {@link ConcurrentHashMap#compute} (per-service bin lock) only after a policy change,
 * re-reading the service's policy under that lock so that a stale snapshot cannot win. Slots are
 * immutable; the limits themselves are lock-free ({@link TokenBucket}, {@link ConcurrencyLimiter}).
 */
public final class ServiceLimiters {
  private final Ticker ticker;
  private final ConcurrentMap<String, Slot> byService = new ConcurrentHashMap<>();

  /** A service's limiter (null: no limit) and the policy object it was last confirmed for. Immutable. */
  private record Slot(LimitPolicy policy, ServiceLimiter limiter) {}

  /** Limits whose rates and waits run on {@code ticker} (the mesh's). */
  public ServiceLimiters(Ticker ticker) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
  }

  /**
   * The limiter for the runtime's service under its current policy, or null when the policy sets no
   * limit. Lock-free unless the policy changed since the last call.
   */
  public ServiceLimiter forService(ServiceRuntime runtime) {
    LimitPolicy policy = runtime.policy().limits();
    Slot slot = byService.get(runtime.name());
    if (slot != null && slot.policy == policy) {
      return slot.limiter;
    }
    return update(runtime.name(), policy, runtime);
  }

  /**
   * The limiter for {@code service} under {@code policy}, or null when it sets no limit. For callers
   * that keep policies themselves: pass the newest.
   */
  public ServiceLimiter forService(String service, LimitPolicy policy) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(policy, "policy");
    Slot slot = byService.get(service);
    if (slot != null && slot.policy == policy) {
      return slot.limiter;
    }
    return update(service, policy, null);
  }

  private ServiceLimiter update(String service, LimitPolicy given, ServiceRuntime runtime) {
    return byService.compute(service, (name, old) -> {
      LimitPolicy policy = runtime != null ? runtime.policy().limits() : given;
      if (old != null && old.policy == policy) {
        return old;
      }
      if (old != null && old.policy.equals(policy)) {
        return new Slot(policy, old.limiter);
      }
      ServiceLimiter previous = old == null ? null : old.limiter;
      return new Slot(policy, build(name, policy, previous));
    }).limiter;
  }

  private ServiceLimiter build(String service, LimitPolicy p, ServiceLimiter previous) {
    TokenBucket rate = null;
    if (p.ratePerSecond() > 0) {
      TokenBucket old = previous == null ? null : previous.rateLimit();
      rate = old != null && old.ratePerSecond() == p.ratePerSecond() && old.burst() == p.effectiveBurst() ? old
          : TokenBucket.create(p.ratePerSecond(), p.effectiveBurst(), ticker);
    }
    ConcurrencyLimiter concurrency = null;
    if (p.concurrency() != Concurrency.OFF) {
      ConcurrencyLimiter old = previous == null ? null : previous.concurrencyLimit();
      boolean adaptive = p.concurrency() == Concurrency.ADAPTIVE;
      int min = adaptive ? p.minConcurrency() : p.maxConcurrency();
      concurrency = old != null && old.isAdaptive() == adaptive && old.min() == min && old.max() == p.maxConcurrency()
          ? old
          : adaptive ? ConcurrencyLimiter.adaptive(p.minConcurrency(), p.maxConcurrency())
              : ConcurrencyLimiter.fixed(p.maxConcurrency());
    }
    if (rate == null && concurrency == null) {
      return null;
    }
    return new ServiceLimiter(service, p, rate, concurrency, ticker);
  }

  /** {@code service}'s limiter, if its policy sets a limit and it has been called. */
  public Optional<ServiceLimiter> get(String service) {
    Slot slot = byService.get(service);
    return Optional.ofNullable(slot == null ? null : slot.limiter);
  }

  /** Every service's limiter, for status pages. */
  public Collection<ServiceLimiter> all() {
    List<ServiceLimiter> list = new ArrayList<>();
    for (Slot s : byService.values()) {
      if (s.limiter != null) {
        list.add(s.limiter);
      }
    }
    return list;
  }
}

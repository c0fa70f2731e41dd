package io.mesh4j.balance;

import io.mesh4j.discovery.Endpoint;
import io.mesh4j.internal.report.TrafficCounters;
import io.mesh4j.policy.OutlierPolicy;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the mesh knows about one endpoint of one service: requests in flight, the peak-EWMA latency,
 * consecutive failures and ejection state.
 *
 * <h2>Concurrency</h2>
 * Every field is per endpoint, so requests to different endpoints never touch shared state.
 * <ul>
 *   <li>{@code pending} and {@code consecutiveFailures} are atomics updated once per attempt.</li>
 *   <li>The EWMA is the pair ({@code cost}, {@code stamp}). Writers serialize on this object (a lock
 *       per endpoint, held for a few arithmetic operations); readers in {@code pick} read both
 *       volatiles without the lock. A reader may pair a new cost with an old stamp: it then over- or
 *       under-decays one sample by at most the time between two responses, which only perturbs one
 *       comparison; the next pick reads a consistent pair again.</li>
 *   <li>Ejection fields are written only by the service's runtime under its rebuild lock and read
 *       through volatile {@code ejected}.</li>
 * </ul>
 */
public final class EndpointStats {
  /** Floor on the cost so that pending requests still count when the EWMA has decayed to ~0. */
  private static final double MIN_COST_NANOS = 1_000;

  private final Endpoint endpoint;
  private final AtomicInteger pending;
  private final AtomicInteger consecutiveFailures = new AtomicInteger();
  private final LongAdder requests;
  private final LongAdder failures;
  /** Attempts and latencies since the last report to the control plane. */
  private final TrafficCounters traffic;

  private volatile double costNanos;
  private volatile long stampNanos;

  // Ejection state: written under the owning ServiceRuntime's lock only.
  /** The protocol adapter's per-endpoint data; see {@link #attachment()}. */
  private volatile Object attachment;

  private volatile boolean ejected;
  private volatile long ejectedUntilNanos;
  private volatile int timesEjected;
  private long readmittedAtNanos;

  /** Stats for a new endpoint whose latency is assumed to be {@code seedRttNanos} until measured. */
  public EndpointStats(Endpoint endpoint, double seedRttNanos, long nowNanos) {
    this.endpoint = endpoint;
    this.pending = new AtomicInteger();
    this.requests = new LongAdder();
    this.failures = new LongAdder();
    this.traffic = new TrafficCounters();
    this.costNanos = seedRttNanos;
    this.stampNanos = nowNanos;
  }

  /**
   * A copy for a changed endpoint description (new weight or labels) that keeps what was learned. The
   * in-flight and request counters are shared with {@code from}: attempts started on it finish on it,
   * and must still count as the endpoint's load.
   */
  public EndpointStats(Endpoint endpoint, EndpointStats from) {
    this.endpoint = endpoint;
    this.pending = from.pending;
    this.requests = from.requests;
    this.failures = from.failures;
    this.traffic = from.traffic;
    synchronized (from) {
      this.costNanos = from.costNanos;
      this.stampNanos = from.stampNanos;
    }
    this.attachment = from.attachment; // same address, so derived data stays valid
    this.ejected = from.ejected;
    this.ejectedUntilNanos = from.ejectedUntilNanos;
    this.timesEjected = from.timesEjected;
    this.readmittedAtNanos = from.readmittedAtNanos;
    this.consecutiveFailures.set(from.consecutiveFailures.get());
  }

  public Endpoint endpoint() {
    return endpoint;
  }

  /**
   * A slot where a protocol adapter keeps data it derives from the endpoint once instead of per request
   * (mesh-http keeps the endpoint's base URL, whose host OkHttp would otherwise re-canonicalize on every
   * attempt). Racy by design: two threads may both compute and set it; both values are equal.
   */
  public Object attachment() {
    return attachment;
  }

  /** Sets the adapter's per-endpoint data; see {@link #attachment()}. */
  public void attach(Object value) {
    attachment = value;
  }

  /**
   * Attempts by outcome and their latencies since the last report to the control plane (shared with
   * the copies made when the endpoint's description changes).
   */
  public TrafficCounters traffic() {
    return traffic;
  }

  /** Requests sent and not yet answered. */
  public int pending() {
    return pending.get();
  }

  /** Total attempts completed on this endpoint. */
  public long requests() {
    return requests.sum();
  }

  /** Total attempts that failed. */
  public long failures() {
    return failures.sum();
  }

  /** Failures since the last success. */
  public int consecutiveFailures() {
    return consecutiveFailures.get();
  }

  public boolean isEjected() {
    return ejected;
  }

  /** How many times this endpoint has been ejected (the multiplier of its next ejection time). */
  public int timesEjected() {
    return timesEjected;
  }

  /**
   * The peak-EWMA latency as of {@code nowNanos}, in nanoseconds: the last value decayed by
   * {@code exp(-elapsed / tau)}, so an idle endpoint's cost falls and it gets probed again.
   */
  public double ewmaNanos(long nowNanos, double tauNanos) {
    double cost = costNanos;
    long elapsed = nowNanos - stampNanos;
    return elapsed <= 0 ? cost : cost * Math.exp(-elapsed / tauNanos);
  }

  /** The balancer's load figure: {@code max(ewma, 1us) x (pending + 1)}. */
  public double peakEwmaLoad(long nowNanos, double tauNanos) {
    return Math.max(ewmaNanos(nowNanos, tauNanos), MIN_COST_NANOS) * (pending.get() + 1);
  }

  /**
   * Folds one latency sample into the EWMA. A sample above the current cost replaces it at once (the
   * "peak": react to slowness immediately); lower samples are blended in with weight
   * {@code 1 - exp(-elapsed / tau)}, so recovery is gradual.
   */
  public void observe(long rttNanos, long nowNanos, double tauNanos) {
    synchronized (this) {
      long elapsed = Math.max(nowNanos - stampNanos, 0);
      double w = Math.exp(-elapsed / tauNanos);
      double cost = costNanos;
      costNanos = rttNanos > cost ? rttNanos : cost * w + rttNanos * (1 - w);
      stampNanos = nowNanos;
    }
  }

  /** Marks an attempt as sent. */
  public void onStart() {
    pending.incrementAndGet();
  }

  /**
   * Marks an attempt as finished.
   *
   * @return the number of consecutive failures after this attempt
   */
  public int onFinish(boolean failed, boolean countOutcome) {
    pending.decrementAndGet();
    if (!countOutcome) {
      return consecutiveFailures.get();
    }
    requests.increment();
    if (failed) {
      failures.increment();
      return consecutiveFailures.incrementAndGet();
    }
    if (consecutiveFailures.get() != 0) { // avoid a write to a shared line on the common path
      consecutiveFailures.set(0);
    }
    return 0;
  }

  // ---- ejection, called by the owning runtime under its lock ----

  /**
   * Ejects for {@code base x times ejected} (capped), starting the multiplier over when the endpoint
   * stayed in rotation for longer than the maximum ejection time since it was last readmitted.
   *
   * @return the ejection time in nanoseconds
   */
  public long eject(long nowNanos, OutlierPolicy policy) {
    if (timesEjected > 0 && nowNanos - readmittedAtNanos > policy.maxEjectionTime().toNanos()) {
      timesEjected = 0;
    }
    int times = timesEjected + 1;
    timesEjected = times;
    long duration = policy.ejectionNanos(times);
    ejectedUntilNanos = nowNanos + duration;
    consecutiveFailures.set(0);
    ejected = true;
    return duration;
  }

  /** Readmits when the ejection time has passed; returns whether it did. */
  public boolean readmitIfDue(long nowNanos) {
    if (ejected && nowNanos - ejectedUntilNanos >= 0) {
      ejected = false;
      readmittedAtNanos = nowNanos;
      return true;
    }
    return false;
  }

  /** When the current ejection ends (meaningful only while ejected). */
  public long ejectedUntilNanos() {
    return ejectedUntilNanos;
  }

  @Override
  public String toString() {
    return endpoint.address() + "{pending=" + pending.get() + ", ejected=" + ejected + "}";
  }
}

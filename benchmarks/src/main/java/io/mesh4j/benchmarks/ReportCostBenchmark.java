package io.mesh4j.benchmarks;

import io.mesh4j.Outcome;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.internal.report.TrafficCounters;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the control-plane traffic report adds to each attempt, before and after in one run: the
 * per-endpoint bookkeeping an attempt always did ({@code onStart}, the peak-EWMA update, {@code onFinish})
 * without and with the report's counters ({@link TrafficCounters#record}: a {@code LongAdder} and one
 * atomic histogram slot), and the counters alone. Draining them (the reporter thread, every 10 s) is not
 * on the call path and not measured.
 *
 * <p>Target (issue): at most 20 ns and 0 B per call. Two threads on the same endpoint as well, since the
 * histogram slot is shared: {@code -t 2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
public class ReportCostBenchmark {
  private final EndpointStats endpoint = new EndpointStats(Endpoint.of("10.0.0.1", 8080), 1_000_000, System.nanoTime());
  private final long latency = 1_234_567;
  private final double tau = 10_000_000_000.0;

  /** Before: what an attempt's bookkeeping on its endpoint cost without reports. */
  @Benchmark
  public int attemptWithoutReport() {
    endpoint.onStart();
    endpoint.observe(latency, System.nanoTime(), tau);
    return endpoint.onFinish(false, true);
  }

  /** After: the same plus the report's counters, as {@code ServiceRuntime.onFinish} does now. */
  @Benchmark
  public int attemptWithReport() {
    endpoint.onStart();
    endpoint.observe(latency, System.nanoTime(), tau);
    endpoint.traffic().record(Outcome.SUCCESS, latency);
    return endpoint.onFinish(false, true);
  }

  /** The report's counters alone. */
  @Benchmark
  public TrafficCounters reportCountersOnly() {
    TrafficCounters t = endpoint.traffic();
    t.record(Outcome.SUCCESS, latency);
    return t;
  }
}

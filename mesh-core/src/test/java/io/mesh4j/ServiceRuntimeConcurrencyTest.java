package io.mesh4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.balance.EndpointStats;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.BalancerPolicy;
import io.mesh4j.policy.OutlierPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.mesh4j.time.Ticker;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/**
 * Many threads on one ServiceRuntime (P2C peak-EWMA, system ticker, thread-local randomness) while
 * another thread swaps endpoint sets and policies: no exception, no request left pending, no lost count.
 */
class ServiceRuntimeConcurrencyTest {
  private static final String SERVICE = "orders";
  private static final int THREADS = 8;
  private static final int ITERATIONS = 50_000;
  private static final int MAX_SWAPS = 2_000;
  /** Attempts each worker keeps in flight at most, so that swaps happen with requests pending. */
  private static final int IN_FLIGHT = 4;
  private static final String ALWAYS_FAILS = "10.0.0.8:8080";

  private static final OutlierPolicy EJECT = OutlierPolicy.builder()
      .consecutiveFailures(3)
      .baseEjectionTime(Duration.ofMillis(1))
      .maxEjectionTime(Duration.ofMillis(5))
      .build();
  private static final ServicePolicy POLICY_A = ServicePolicy.builder()
      .balancer(BalancerAlgorithm.P2C_PEAK_EWMA).outlier(EJECT).build();
  private static final ServicePolicy POLICY_B = POLICY_A.toBuilder()
      .balancer(new BalancerPolicy(BalancerAlgorithm.P2C_PEAK_EWMA, Duration.ofSeconds(1), Duration.ofMillis(5)))
      .outlier(EJECT.toBuilder().enabled(false).build())
      .build();

  private final StaticDiscovery discovery = StaticDiscovery.of(SERVICE, endpoints(8, 0));
  private final StaticPolicySource policies = StaticPolicySource.create();
  private final AtomicInteger ejections = new AtomicInteger();

  /** {@code n} endpoints; with {@code weightShift > 0} their weights vary with it. */
  private static List<Endpoint> endpoints(int n, int weightShift) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      int weight = weightShift == 0 ? 1 : 1 + (i + weightShift) % 4;
      list.add(Endpoint.of("10.0.0." + i, 8080).withWeight(weight));
    }
    return list;
  }

  private Mesh mesh() {
    policies.put(SERVICE, POLICY_A);
    return Mesh.builder()
        .discovery(discovery)
        .policies(policies)
        .ticker(Ticker.system())
        .random(RandomSource.threadLocal())
        .openTelemetry(OpenTelemetry.noop())
        .eventLog(msg -> {
          if (msg.contains("ejected")) {
            ejections.incrementAndGet();
          }
        })
        .build();
  }

  /** What one worker did. */
  private static final class Tally {
    long counted;
    long failures;
    final Set<EndpointStats> seen = Collections.newSetFromMap(new IdentityHashMap<>());
  }

  private static Tally work(ServiceRuntime rt) throws NoEndpointsException {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    Tally t = new Tally();
    EndpointStats[] flying = new EndpointStats[IN_FLIGHT];
    long[] starts = new long[IN_FLIGHT];
    int head = 0;
    int size = 0;
    for (int i = 0; i < ITERATIONS; i++) {
      EndpointStats e = rt.pick(null, null);
      t.seen.add(e);
      int slot = (head + size) % IN_FLIGHT;
      starts[slot] = rt.onStart(e);
      flying[slot] = e;
      size++;
      while (size == IN_FLIGHT || (size > 0 && random.nextBoolean())) {
        finish(rt, flying[head], starts[head], random, t);
        head = (head + 1) % IN_FLIGHT;
        size--;
      }
    }
    for (; size > 0; size--) {
      finish(rt, flying[head], starts[head], random, t);
      head = (head + 1) % IN_FLIGHT;
    }
    return t;
  }

  private static void finish(ServiceRuntime rt, EndpointStats e, long start, ThreadLocalRandom random, Tally t) {
    int dice = random.nextInt(100);
    Outcome outcome = e.endpoint().address().equals(ALWAYS_FAILS) || dice == 0 ? Outcome.FAILURE
        : dice == 1 ? Outcome.TIMEOUT
        : dice == 2 ? Outcome.CANCELLED
        : Outcome.SUCCESS;
    rt.onFinish(e, start, outcome);
    if (outcome == Outcome.SUCCESS || outcome == Outcome.FAILURE) {
      t.counted++;
    }
    if (outcome == Outcome.FAILURE) {
      t.failures++;
    }
  }

  /** Runs the workers and, meanwhile, {@code swap} a bounded number of times; returns the merged tally. */
  private static Tally hammer(ServiceRuntime rt, IntConsumer swap) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
    try {
      CyclicBarrier start = new CyclicBarrier(THREADS + 1);
      CountDownLatch workersDone = new CountDownLatch(THREADS);
      List<Future<Tally>> workers = new ArrayList<>();
      for (int w = 0; w < THREADS; w++) {
        workers.add(pool.submit(() -> {
          try {
            start.await(10, TimeUnit.SECONDS);
            return work(rt);
          } finally {
            workersDone.countDown();
          }
        }));
      }
      Future<Integer> swapper = pool.submit(() -> {
        start.await(10, TimeUnit.SECONDS);
        int swaps = 0;
        while (swaps < MAX_SWAPS && workersDone.getCount() > 0) {
          swap.accept(swaps++);
          Thread.yield();
        }
        return swaps;
      });

      assertThat(workersDone.await(30, TimeUnit.SECONDS)).as("workers finished in time").isTrue();
      assertThat(swapper.get(10, TimeUnit.SECONDS)).as("swaps done while the workers ran").isPositive();
      Tally total = new Tally();
      for (Future<Tally> f : workers) {
        Tally t = f.get(); // rethrows whatever a worker threw
        total.counted += t.counted;
        total.failures += t.failures;
        total.seen.addAll(t.seen);
      }
      return total;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void weightAndPolicySwapsLoseNoUpdate() throws Exception {
    try (Mesh mesh = mesh()) {
      ServiceRuntime rt = mesh.service(SERVICE);

      Tally t = hammer(rt, i -> {
        if (i % 2 == 0) {
          discovery.set(SERVICE, endpoints(8, i % 5)); // same addresses, other weights
        } else {
          policies.put(SERVICE, (i / 2) % 2 == 0 ? POLICY_B : POLICY_A);
        }
      });

      assertThat(t.seen).allSatisfy(e -> assertThat(e.pending()).as("%s", e).isZero());
      List<EndpointStats> now = rt.endpoints();
      assertThat(now).hasSize(8).allSatisfy(e -> assertThat(e.pending()).as("%s", e).isZero());
      // Every address kept its counters across the weight changes.
      assertThat(now.stream().mapToLong(EndpointStats::requests).sum()).isEqualTo(t.counted);
      assertThat(now.stream().mapToLong(EndpointStats::failures).sum()).isEqualTo(t.failures);
      assertThat(t.counted).isGreaterThan(THREADS * (long) ITERATIONS * 9 / 10);
      assertThat(ejections.get()).as("ejections happened under load").isPositive();
    }
  }

  @Test
  void endpointSetAndPolicySwapsWithRemovalsLoseNoUpdate() throws Exception {
    try (Mesh mesh = mesh()) {
      ServiceRuntime rt = mesh.service(SERVICE);

      Tally t = hammer(rt, i -> {
        switch (i % 4) {
          case 0 -> discovery.set(SERVICE, endpoints(6, 0)); // drops two, among them the failing one
          case 1 -> policies.put(SERVICE, POLICY_B);
          case 2 -> discovery.set(SERVICE, endpoints(8, 0)); // brings them back with fresh statistics
          default -> policies.put(SERVICE, POLICY_A);
        }
      });

      assertThat(t.seen).allSatisfy(e -> assertThat(e.pending()).as("%s", e).isZero());
      assertThat(rt.endpoints()).allSatisfy(e -> assertThat(e.pending()).as("%s", e).isZero());
      // Without weight changes every statistics object has counters of its own.
      assertThat(t.seen.stream().mapToLong(EndpointStats::requests).sum()).isEqualTo(t.counted);
      assertThat(t.seen.stream().mapToLong(EndpointStats::failures).sum()).isEqualTo(t.failures);
      assertThat(t.seen.size()).as("statistics objects used").isGreaterThan(8);
    }
  }
}

package io.mesh4j.benchmarks.scenario;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Drives a call from N worker threads for a fixed time and records the latency of every call.
 *
 * <ul>
 *   <li>Closed loop ({@code ratePerSecond == 0}): each worker sends its next call as soon as the previous
 *       one has its answer.</li>
 *   <li>Paced ({@code ratePerSecond > 0}): each worker sends at {@code rate / workers} per second on its
 *       own schedule (workers staggered). A worker that falls behind does not burst to catch up: the
 *       achieved rate is then lower than asked, and is what gets reported.</li>
 * </ul>
 *
 * Every loop is bounded twice: by time ({@code duration}) and by count ({@code maxCallsPerWorker}, the
 * size of the worker's latency array). A call that starts before the end runs to its own end (each call
 * is bounded by the mesh's total timeout and OkHttp's call timeout).
 *
 * <p>Latencies are kept exactly, one {@code int} of microseconds per call in a preallocated array per
 * worker, and the percentiles computed by sorting them all (nearest rank). No histogram, no sampling.
 */
final class LoadGenerator {
  /** Calls at least this slow (500 ms) are counted apart: here, only a call the slow backend held is that slow. */
  static final int SLOW_MICROS = 500_000;

  private LoadGenerator() {}

  /** One call; returns whether it succeeded. A thrown exception is a failed call. */
  @FunctionalInterface
  interface Call {
    boolean call() throws Exception;
  }

  /** What one run measured. Latencies in microseconds. */
  record Result(long requests, long succeeded, double elapsedSeconds, int p50, int p99, int p999, int max,
      long slow, Map<String, Long> errors) {

    long failed() {
      return requests - succeeded;
    }

    double successPercent() {
      return requests == 0 ? 0 : 100.0 * succeeded / requests;
    }

    double ratePerSecond() {
      return requests / elapsedSeconds;
    }
  }

  private static final class Worker extends Thread {
    final int[] micros;
    int n;
    long ok;
    final Map<String, Long> errors = new TreeMap<>();
    private final Call call;
    private final long endNanos;
    private final long periodNanos;
    private final long firstNanos;

    Worker(String name, Call call, int capacity, long endNanos, long periodNanos, long firstNanos) {
      super(name);
      setDaemon(true);
      this.micros = new int[capacity];
      this.call = call;
      this.endNanos = endNanos;
      this.periodNanos = periodNanos;
      this.firstNanos = firstNanos;
    }

    @Override
    public void run() {
      long next = firstNanos;
      while (n < micros.length) {
        long now = System.nanoTime();
        if (now - endNanos >= 0) {
          return;
        }
        if (periodNanos > 0) {
          if (next - now > 0) {
            LockSupport.parkNanos(next - now);
            continue; // re-check the end of the run
          }
          // Behind by more than a period: restart the schedule from now rather than burst.
          next = (now - next > periodNanos ? now : next) + periodNanos;
        }
        long start = System.nanoTime();
        boolean success;
        try {
          success = call.call();
        } catch (Exception e) {
          success = false;
          String key = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replaceAll("[0-9]+", "N");
          errors.merge(key.length() > 140 ? key.substring(0, 140) : key, 1L, Long::sum);
        }
        long micro = (System.nanoTime() - start) / 1_000;
        micros[n++] = (int) Math.min(Integer.MAX_VALUE, micro);
        if (success) {
          ok++;
        }
      }
    }
  }

  /**
   * Runs {@code call} from {@code workers} threads for {@code duration}.
   *
   * @param ratePerSecond 0 for a closed loop, else the total rate asked of all workers together
   */
  static Result run(String name, int workers, double ratePerSecond, Duration duration, int maxCallsPerWorker,
      Call call) throws InterruptedException {
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    long period = ratePerSecond > 0 ? (long) (1e9 * workers / ratePerSecond) : 0;
    List<Worker> list = new ArrayList<>();
    for (int i = 0; i < workers; i++) {
      long first = period > 0 ? start + period * i / workers : start; // staggered, so the rate is smooth
      list.add(new Worker(name + "-load-" + i, call, maxCallsPerWorker, end, period, first));
    }
    list.forEach(Thread::start);
    // Calls end on their own timeouts (<= ~15 s here); 60 s past the end means something is stuck.
    long joinBy = end + Duration.ofSeconds(60).toNanos();
    for (Worker w : list) {
      long left = joinBy - System.nanoTime();
      w.join(Math.max(1, left / 1_000_000));
      if (w.isAlive()) {
        throw new IllegalStateException(w.getName() + " still running 60 s after the end of the run");
      }
    }
    double elapsed = duration.toNanos() / 1e9; // calls still running at the end finish after it

    int total = 0;
    long ok = 0;
    Map<String, Long> errors = new TreeMap<>();
    for (Worker w : list) {
      total += w.n;
      ok += w.ok;
      w.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
    }
    int[] all = new int[total];
    int at = 0;
    for (Worker w : list) {
      System.arraycopy(w.micros, 0, all, at, w.n);
      at += w.n;
    }
    Arrays.sort(all);
    return new Result(total, ok, elapsed, percentile(all, 0.50), percentile(all, 0.99), percentile(all, 0.999),
        total == 0 ? 0 : all[total - 1], countAtLeast(all, SLOW_MICROS), errors);
  }

  /**
   * Open loop: calls are due at a fixed rate whatever happens to earlier ones (users keep arriving), each
   * run on a thread of a pool of at most {@code maxThreads}, and each call's latency is measured from
   * the moment it was <em>due</em>, not from when a thread got to it (wrk2's correction for coordinated
   * omission): a call that waited for a thread, or for the dispatcher, waited in the latency figures too.
   * Bounded by count ({@code rate x duration} calls) and time (the dispatcher stops at the end).
   */
  static Result openLoop(String name, double ratePerSecond, Duration duration, int maxThreads, Call call)
      throws InterruptedException {
    int total = (int) Math.min(5_000_000, ratePerSecond * duration.toNanos() / 1e9);
    int[] micros = new int[total];
    boolean[] ok = new boolean[total];
    Map<String, Long> errors = new ConcurrentHashMap<>();
    AtomicInteger threadNumber = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(maxThreads, maxThreads,
        10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, name + "-open-" + threadNumber.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    double periodNanos = 1e9 / ratePerSecond;
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    int sent = 0;
    try {
      for (int i = 0; i < total; i++) {
        long due = start + (long) (i * periodNanos);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        if (System.nanoTime() - end >= 0) {
          break;
        }
        int slot = i;
        pool.execute(() -> {
          boolean success;
          try {
            success = call.call();
          } catch (Exception e) {
            success = false;
            String key = e.getClass().getSimpleName() + ": "
                + String.valueOf(e.getMessage()).replaceAll("[0-9]+", "N");
            errors.merge(key.length() > 140 ? key.substring(0, 140) : key, 1L, Long::sum);
          }
          micros[slot] = (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - due) / 1_000);
          ok[slot] = success;
        });
        sent++;
      }
    } finally {
      pool.shutdown();
    }
    // Calls end on their own timeouts; 60 s past the end means something is stuck.
    if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
      pool.shutdownNow();
      throw new IllegalStateException(name + ": calls still running 60 s after the end of the run");
    }
    double elapsed = duration.toNanos() / 1e9; // the rate is what was sent over the run, not the drain after it
    long succeeded = 0;
    for (int i = 0; i < sent; i++) {
      succeeded += ok[i] ? 1 : 0;
    }
    int[] all = Arrays.copyOf(micros, sent); // awaitTermination: the tasks' writes are visible here
    Arrays.sort(all);
    return new Result(sent, succeeded, elapsed, percentile(all, 0.50), percentile(all, 0.99),
        percentile(all, 0.999), sent == 0 ? 0 : all[sent - 1], countAtLeast(all, SLOW_MICROS), new TreeMap<>(errors));
  }

  /** How many of the sorted values are {@code >= threshold}. */
  static long countAtLeast(int[] sorted, int threshold) {
    int i = Arrays.binarySearch(sorted, threshold);
    if (i < 0) {
      return sorted.length - (-i - 1);
    }
    while (i > 0 && sorted[i - 1] == threshold) {
      i--;
    }
    return sorted.length - i;
  }

  /** Nearest rank: the smallest value with at least {@code q} of the values at or below it. */
  static int percentile(int[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
  }
}

package io.mesh4j.benchmarks.scenario;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where the time of a run went, besides the requests: this JVM's CPU, the whole machine's CPU (other
 * processes included, read from {@code /proc/stat}), and this JVM's garbage collections. On a small
 * shared machine a latency tail is often CPU queueing or a GC pause, not the thing being measured.
 */
final class MachineUsage {
  /** Longest overshoot of a 1 ms sleep since the last reading (jHiccup's idea), in nanoseconds. */
  private static final AtomicLong MAX_STALL = new AtomicLong();

  static {
    // A thread that only sleeps 1 ms at a time: when it wakes late, every thread of the JVM could have
    // (CPU taken by other processes, a safepoint, a GC pause). That delay is in no way the mesh's.
    Thread t = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        long before = System.nanoTime();
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          return;
        }
        long late = System.nanoTime() - before - 1_000_000;
        MAX_STALL.accumulateAndGet(late, Math::max);
      }
    }, "stall-meter");
    t.setDaemon(true);
    t.start();
  }

  private final long wallNanos;
  private final long processCpuNanos;
  private final long machineBusy;
  private final long machineTotal;
  private final long gcCount;
  private final long gcMillis;

  private MachineUsage(long wallNanos, long processCpuNanos, long machineBusy, long machineTotal, long gcCount,
      long gcMillis) {
    this.wallNanos = wallNanos;
    this.processCpuNanos = processCpuNanos;
    this.machineBusy = machineBusy;
    this.machineTotal = machineTotal;
    this.gcCount = gcCount;
    this.gcMillis = gcMillis;
  }

  /** A reading now. */
  static MachineUsage now() {
    long cpu = -1;
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      cpu = os.getProcessCpuTime();
    }
    long busy = -1;
    long total = -1;
    try {
      // "cpu  user nice system idle iowait irq softirq steal guest guest_nice" (guest is inside user)
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long sum = 0;
      for (int i = 1; i <= 8 && i < f.length; i++) {
        sum += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
      total = sum;
      busy = sum - idle;
    } catch (IOException | RuntimeException e) {
      // not Linux: machine figures unknown
    }
    long count = 0;
    long millis = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, gc.getCollectionCount());
      millis += Math.max(0, gc.getCollectionTime());
    }
    return new MachineUsage(System.nanoTime(), cpu, busy, total, count, millis);
  }

  /** A reading now, starting a new stall measurement. */
  static MachineUsage start() {
    MAX_STALL.set(0);
    return now();
  }

  /**
   * What happened between {@code start} and now, as three table cells: "JVM x% / machine y%" (of all
   * CPUs), "GCs, GC time", and the longest stall of a thread sleeping 1 ms at a time.
   */
  static String since(MachineUsage start) {
    MachineUsage end = now();
    int cpus = Runtime.getRuntime().availableProcessors();
    double wall = end.wallNanos - start.wallNanos;
    String jvm = start.processCpuNanos < 0 ? "?" : String.format(Locale.ROOT, "%.0f%%",
        100.0 * (end.processCpuNanos - start.processCpuNanos) / (wall * cpus));
    long dt = end.machineTotal - start.machineTotal;
    String machine = start.machineTotal < 0 || dt <= 0 ? "?" : String.format(Locale.ROOT, "%.0f%%",
        100.0 * (end.machineBusy - start.machineBusy) / dt);
    return jvm + " / " + machine + " | " + (end.gcCount - start.gcCount) + ", " + (end.gcMillis - start.gcMillis)
        + " ms | " + String.format(Locale.ROOT, "%.1f", MAX_STALL.get() / 1e6);
  }
}

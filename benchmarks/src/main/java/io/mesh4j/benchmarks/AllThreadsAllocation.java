package io.mesh4j.benchmarks;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * {@code com.sun.management.ThreadMXBean.getTotalThreadAllocatedBytes()} (every thread, dead ones
 * included), looked up at run time. The method exists on JDK 17, but it is not in the {@code --release 17}
 * API description newer JDKs compile against (JDK 25 reports "cannot find symbol"), so calling it directly
 * broke the build on every JDK but 17.
 */
public final class AllThreadsAllocation {
  private static final MethodHandle TOTAL;

  static {
    try {
      TOTAL = MethodHandles.publicLookup().findVirtual(com.sun.management.ThreadMXBean.class,
          "getTotalThreadAllocatedBytes", MethodType.methodType(long.class));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private AllThreadsAllocation() {}

  /** Bytes allocated by all threads since the JVM started, or -1 when the JVM does not measure it. */
  public static long total(com.sun.management.ThreadMXBean threads) {
    try {
      return (long) TOTAL.invoke(threads);
    } catch (Throwable t) {
      throw new IllegalStateException("getTotalThreadAllocatedBytes failed", t);
    }
  }
}

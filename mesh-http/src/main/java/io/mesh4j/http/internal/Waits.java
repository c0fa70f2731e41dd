package io.mesh4j.http.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.locks.LockSupport;
import okhttp3.Interceptor;

/** The waits the policy itself asks for (retry backoff, injected delays), cut short by cancellation. */
final class Waits {
  private Waits() {}

  /**
   * Parks the calling thread for {@code nanos}, waking every 10 ms to notice that the call was
   * cancelled (its deadline passed) or the thread interrupted.
   */
  static void pause(long nanos, Interceptor.Chain chain, String activity) throws IOException {
    long end = System.nanoTime() + nanos;
    for (long left = nanos; left > 0; left = end - System.nanoTime()) {
      if (chain.call().isCanceled()) {
        throw new IOException("Canceled");
      }
      LockSupport.parkNanos(Math.min(left, 10_000_000L));
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted during " + activity);
      }
    }
  }
}

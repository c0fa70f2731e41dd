package io.mesh4j.http.internal;

import io.mesh4j.time.Ticker;
import java.io.IOException;
import java.io.InterruptedIOException;
import okhttp3.Interceptor;

/**
 * The waits the policy itself asks for (retry backoff, Retry-After, injected delays), in the mesh's
 * time ({@link Ticker}, so a test with a {@code ManualTicker} controls them), cut short by cancellation.
 */
final class Waits {
  private Waits() {}

  /**
   * Waits {@code nanos} of {@code ticker}'s time, waking at least every {@link Ticker#MAX_PARK_NANOS}
   * of real time to notice that the call was cancelled (its deadline passed) or the thread interrupted.
   */
  static void pause(long nanos, Interceptor.Chain chain, String activity, Ticker ticker) throws IOException {
    long end = ticker.nanoTime() + nanos;
    for (long left = nanos; left > 0; left = end - ticker.nanoTime()) {
      if (chain.call().isCanceled()) {
        throw new IOException("Canceled");
      }
      ticker.park(left);
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted during " + activity);
      }
    }
  }
}

package io.mesh4j.http.internal;

import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okio.AsyncTimeout;

/**
 * Cancels a call when a timeout passes. Built on okio's {@link AsyncTimeout}, the same watchdog
 * OkHttp uses for its own call and socket timeouts, so the mesh adds no thread and no new kind of
 * contention. One instance per call (or attempt); use {@link #start} then exactly one {@link #stop}.
 */
final class CallCanceller extends AsyncTimeout {
  private final Call call;
  private volatile boolean fired;

  CallCanceller(Call call) {
    this.call = call;
  }

  static CallCanceller start(Call call, long nanos) {
    CallCanceller c = new CallCanceller(call);
    c.timeout(nanos, TimeUnit.NANOSECONDS);
    c.enter();
    return c;
  }

  /** Stops the timer; true when it had already fired (the call was cancelled by it). */
  boolean stop() {
    return exit();
  }

  /** Whether the timer fired; stays true. Safe to read from any thread (volatile, written once). */
  boolean hasFired() {
    return fired;
  }

  @Override
  protected void timedOut() {
    fired = true;
    call.cancel();
  }
}

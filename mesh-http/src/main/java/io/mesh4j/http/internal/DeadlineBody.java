package io.mesh4j.http.internal;

import io.mesh4j.DeadlineExceededException;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import okhttp3.MediaType;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;

/**
 * A response body read under the call's deadline: the deadline's canceller keeps running until the body
 * is read to its end or closed, so a server that sends its headers in time and then dribbles the body
 * (a byte a second never trips OkHttp's per-read timeout) is cut off at the deadline, and the read fails
 * with a {@link DeadlineExceededException} that says so instead of hanging.
 *
 * <p>Concurrency: the body is read by one thread at a time (OkHttp's rule); the canceller's timer thread
 * only cancels the call. {@link #finish} may still be reached twice (end of stream, then close) or from
 * a close on another thread, so the canceller is stopped exactly once, guarded by a CAS.
 */
final class DeadlineBody extends ResponseBody {
  private static final int RUNNING = 0;
  private static final int STOPPED = 1;
  private static final int FIRED = 2;

  private final ResponseBody delegate;
  private final CallCanceller canceller;
  private final Function<IOException, DeadlineExceededException> exceeded;
  private final AtomicInteger state = new AtomicInteger(RUNNING);
  private BufferedSource source;

  DeadlineBody(ResponseBody delegate, CallCanceller canceller,
      Function<IOException, DeadlineExceededException> exceeded) {
    this.delegate = delegate;
    this.canceller = canceller;
    this.exceeded = exceeded;
  }

  @Override
  public MediaType contentType() {
    return delegate.contentType();
  }

  @Override
  public long contentLength() {
    return delegate.contentLength();
  }

  @Override
  public BufferedSource source() {
    if (source == null) {
      source = Okio.buffer(new ForwardingSource(delegate.source()) {
        @Override
        public long read(Buffer sink, long byteCount) throws IOException {
          long n;
          try {
            n = super.read(sink, byteCount);
          } catch (IOException e) {
            if (finish()) {
              throw exceeded.apply(e);
            }
            throw e;
          }
          if (n == -1) {
            finish();
          }
          return n;
        }

        @Override
        public void close() throws IOException {
          finish();
          super.close();
        }
      });
    }
    return source;
  }

  @Override
  public void close() {
    finish();
    delegate.close();
  }

  /** Stops the canceller once; true when it had fired (the call was cancelled by the deadline). */
  private boolean finish() {
    int s = state.get();
    if (s == RUNNING && state.compareAndSet(RUNNING, STOPPED)) {
      if (canceller.stop()) {
        state.set(FIRED);
        return true;
      }
      return false;
    }
    return state.get() == FIRED;
  }
}

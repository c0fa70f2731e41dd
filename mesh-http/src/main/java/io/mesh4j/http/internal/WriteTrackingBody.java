package io.mesh4j.http.internal;

import java.io.IOException;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.BufferedSink;

/**
 * A one-shot request body that remembers whether it was ever written. A one-shot body can be sent once;
 * if an attempt failed before writing it (connection refused), it was not sent at all and the call may
 * still be retried with it. Only one-shot bodies are wrapped (one allocation per such call).
 */
final class WriteTrackingBody extends RequestBody {
  private final RequestBody delegate;
  /** Set by the attempt's thread before writing; read by the retry layer on the same call's thread. */
  private volatile boolean written;

  WriteTrackingBody(RequestBody delegate) {
    this.delegate = delegate;
  }

  /** Whether {@link #writeTo} was ever called. */
  boolean written() {
    return written;
  }

  @Override
  public MediaType contentType() {
    return delegate.contentType();
  }

  @Override
  public long contentLength() throws IOException {
    return delegate.contentLength();
  }

  @Override
  public boolean isOneShot() {
    return true;
  }

  @Override
  public boolean isDuplex() {
    return delegate.isDuplex();
  }

  @Override
  public void writeTo(BufferedSink sink) throws IOException {
    written = true;
    delegate.writeTo(sink);
  }
}

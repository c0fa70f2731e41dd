package io.mesh4j.http.client;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A failed call of a client method that does not declare the failure: the {@link #getCause() cause}
 * is the {@link IOException} itself — an {@link HttpStatusException}, an
 * {@code io.mesh4j.DeadlineExceededException}, a connection failure...
 *
 * <p>The rule: a method that declares {@code throws IOException} (or a supertype of the failure)
 * throws the failure as it is; any other method throws it wrapped in this unchecked exception.
 * Methods returning {@code CompletableFuture} never throw for a failed call: the future completes
 * exceptionally with the {@code IOException} itself.
 */
public class MeshClientException extends UncheckedIOException {
  private static final long serialVersionUID = 1L;

  public MeshClientException(String clientMethod, IOException cause) {
    super(cause instanceof HttpStatusException ? cause.getMessage() : clientMethod + ": " + cause.getMessage(),
        cause);
  }

  /** The status exception behind this failure, or null when there was no response. */
  public HttpStatusException statusException() {
    return getCause() instanceof HttpStatusException ? (HttpStatusException) getCause() : null;
  }
}

package io.mesh4j;

/**
 * The call's deadline passed: either before anything was sent (nothing reached the server), or while
 * the call was in flight (it was cancelled). {@link #wasSent()} tells which.
 */
public class DeadlineExceededException extends MeshException {
  private static final long serialVersionUID = 1L;
  private final boolean sent;

  public DeadlineExceededException(String service, String message, boolean sent, Throwable cause) {
    super(service, message, cause);
    this.sent = sent;
  }

  /** True when the request had been sent (or was being sent) when the deadline passed. */
  public boolean wasSent() {
    return sent;
  }
}

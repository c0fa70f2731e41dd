package io.mesh4j;

/**
 * One attempt exceeded the per-attempt timeout ({@code timeouts.perAttempt}). The call as a whole may
 * still have time left: the retry layer retries it for idempotent requests.
 */
public final class AttemptTimeoutException extends DeadlineExceededException {
  private static final long serialVersionUID = 1L;

  public AttemptTimeoutException(String service, String message, Throwable cause) {
    super(service, message, true, cause);
  }
}

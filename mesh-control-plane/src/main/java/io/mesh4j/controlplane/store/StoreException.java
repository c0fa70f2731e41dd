package io.mesh4j.controlplane.store;

/**
 * The store could not do what was asked (disk full, I/O error, database locked by another process).
 * Nothing was written: every write is one transaction.
 */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }
}

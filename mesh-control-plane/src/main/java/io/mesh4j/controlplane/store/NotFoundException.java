package io.mesh4j.controlplane.store;

/** The resource a write or read names does not exist. Nothing was written. */
public final class NotFoundException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String message) {
    super(message);
  }
}

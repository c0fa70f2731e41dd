package io.mesh4j.controlplane.store;

/**
 * A conditional write named a revision that is not the current one: someone else changed the resource
 * first. Nothing was written.
 */
public final class RevisionConflictException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final long expected;
  private final long current;

  public RevisionConflictException(String resource, long expected, long current) {
    super(resource + ": revision " + expected + " expected, " + (current == 0 ? "none" : current) + " current");
    this.expected = expected;
    this.current = current;
  }

  /** The revision the writer expected. */
  public long expected() {
    return expected;
  }

  /** The resource's current revision; 0 when it does not exist. */
  public long current() {
    return current;
  }
}

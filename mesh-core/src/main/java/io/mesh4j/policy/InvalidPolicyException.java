package io.mesh4j.policy;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A policy was rejected. The message lists every bad field with its path (for example
 * {@code timeouts.total}) and what was expected, so one round trip fixes them all.
 */
public final class InvalidPolicyException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** One bad field: its JSON path and what was wrong with it. */
  public record Violation(String path, String problem) {
    @Override
    public String toString() {
      return path + ": " + problem;
    }
  }

  private final transient List<Violation> violations;

  public InvalidPolicyException(List<Violation> violations) {
    super("invalid policy: " + violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
    this.violations = List.copyOf(violations);
  }

  /** Every bad field, in document order. */
  public List<Violation> violations() {
    return violations;
  }
}

package io.mesh4j.spring.boot;

import java.util.List;

/**
 * The {@code mesh.*} properties were rejected. The message lists every bad property with its full name
 * and what was expected, so one restart fixes them all.
 */
public final class InvalidMeshPropertiesException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  public InvalidMeshPropertiesException(List<String> problems) {
    super("invalid mesh properties: " + String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  /** One line per bad property, each starting with the property's name. */
  public List<String> problems() {
    return problems;
  }
}

package io.mesh4j.policy;

import java.util.ArrayList;
import java.util.List;

/** Collects every bad field of a policy so one error can list them all. Not thread-safe. */
final class Violations {
  private final List<InvalidPolicyException.Violation> list = new ArrayList<>();

  void add(String path, String problem) {
    list.add(new InvalidPolicyException.Violation(path, problem));
  }

  /** Records "{path}: {value} (expected: {expected})" unless {@code ok}. */
  void check(boolean ok, String path, Object value, String expected) {
    if (!ok) {
      add(path, value + " (expected: " + expected + ")");
    }
  }

  boolean isEmpty() {
    return list.isEmpty();
  }

  void throwIfAny() {
    if (!list.isEmpty()) {
      throw new InvalidPolicyException(list);
    }
  }

  static String join(String prefix, String field) {
    return prefix.isEmpty() ? field : prefix + "." + field;
  }
}

package io.mesh4j.policy;

import java.util.ArrayList;
import java.util.List;

/** Collects every bad field of a policy so one error can list them all. Not thread-safe. */
final class Violations {
  private final List<InvalidPolicyException.Violation> list = new ArrayList<>();

  /** Records a problem, unless {@code path} already has one: a field is reported once, by its first. */
  void add(String path, String problem) {
    if (list.stream().noneMatch(v -> v.path().equals(path))) {
      list.add(new InvalidPolicyException.Violation(path, problem));
    }
  }

  /**
   * Records "{path}: {value} (expected: {expected})" unless {@code ok}, or unless {@code path} already
   * has a violation: a field is reported once, by its first problem (a duration that failed to parse
   * reaches the range checks as null, and is not "missing").
   */
  void check(boolean ok, String path, Object value, String expected) {
    if (!ok) {
      add(path, io.mesh4j.internal.JsonText.shortened(String.valueOf(value)) + " (expected: " + expected + ")");
    }
  }

  int size() {
    return list.size();
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

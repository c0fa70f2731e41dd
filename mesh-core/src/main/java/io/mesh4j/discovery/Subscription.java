package io.mesh4j.discovery;

/** A handle on a listener registration; closing it stops further notifications. Idempotent. */
@FunctionalInterface
public interface Subscription extends AutoCloseable {
  @Override
  void close();
}

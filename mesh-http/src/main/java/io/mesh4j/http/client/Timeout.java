package io.mesh4j.http.client;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A total timeout for this method's calls (every attempt, backoff and the wait for the response
 * headers), e.g. {@code @Timeout("500ms")}, in the policy's duration syntax ({@code "250ms"},
 * {@code "2s"}, ISO-8601 {@code "PT0.5S"}).
 *
 * <p>The mesh's deadline is the earliest of the service policy's {@code timeouts.total}, the deadline
 * the caller inherited, and this: a method timeout shortens the call's time, it never lengthens the
 * service's total timeout nor the caller's deadline.
 */
@Documented
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface Timeout {
  /** A duration &gt; 0, e.g. {@code "500ms"}. */
  String value();
}

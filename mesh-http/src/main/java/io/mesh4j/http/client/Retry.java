package io.mesh4j.http.client;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Overrides the service's retry policy for this method: retries are on for it (even when the
 * service has them off), with {@code maxAttempts} and {@code retryOn} replacing the service's values
 * when given. Backoff and the retry budget remain the service's: a method cannot spend more than the
 * service's budget. What may be retried does not change: statuses are retried for idempotent requests
 * only (GET, HEAD, PUT, DELETE, or {@link Idempotent}).
 *
 * <pre>{@code
 * @GET("/orders/{id}") @Retry(maxAttempts = 5, retryOn = {502, 503, 504, 429})
 * @PUT("/orders/{id}") @Retry(maxAttempts = 1)          // no retries for this method
 * }</pre>
 *
 * <p>The override travels to the mesh layers as a {@link io.mesh4j.http.MethodPolicy} request tag.
 */
@Documented
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface Retry {
  /** Attempts in all, including the first, 1..10; 0 (the default) keeps the service's. */
  int maxAttempts() default 0;

  /** Statuses retried (400..599); empty (the default) keeps the service's. */
  int[] retryOn() default {};
}

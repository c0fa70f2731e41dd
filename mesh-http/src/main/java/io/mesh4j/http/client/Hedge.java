package io.mesh4j.http.client;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Overrides the service's hedging for this method: when the first attempt has not answered after
 * {@code delay}, a backup goes to another endpoint and the first good answer wins. Only for idempotent
 * methods (GET, HEAD, PUT, DELETE, or {@link Idempotent}); backups draw from the retry budget.
 *
 * <pre>{@code
 * @GET("/catalog/{sku}") @Hedge(delay = "p95", floor = "20ms")
 * @GET("/slow") @Hedge(enabled = false)                 // no hedging for this method
 * }</pre>
 *
 * <p>The override travels to the mesh layers as a {@link io.mesh4j.http.MethodPolicy} request tag.
 */
@Documented
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface Hedge {
  /** False turns hedging off for this method when the service has it on. */
  boolean enabled() default true;

  /**
   * A fixed delay ({@code "50ms"}) or a percentile of the service's observed latency,
   * {@code "p50"}..{@code "p99"}, in which case {@link #floor()} is the least delay.
   */
  String delay() default "50ms";

  /** The least delay when {@link #delay()} is a percentile. */
  String floor() default "50ms";

  /** Attempts in all, including the first, 2..5. */
  int maxAttempts() default 2;
}

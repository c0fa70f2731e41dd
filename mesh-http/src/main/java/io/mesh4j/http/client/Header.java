package io.mesh4j.http.client;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Adds request headers, with the same rules as {@link Query}: {@code @Header("X-Tenant")} on a value,
 * repeated for an {@code Iterable} or array, and {@code @Header} without a name on a
 * {@code Map<String, ?>}. Null values are skipped. An {@code Idempotency-Key} header marks the request
 * idempotent for the mesh's retries, as {@link Idempotent} does.
 */
@Documented
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
public @interface Header {
  /** The header's name; empty (the default) only on a {@code Map} parameter. */
  String value() default "";
}

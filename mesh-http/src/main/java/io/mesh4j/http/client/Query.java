package io.mesh4j.http.client;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Adds query parameters. On a single value, {@code @Query("status")} adds {@code status=<value>};
 * on an {@code Iterable} or an array it adds the name once per element ({@code status=a&status=b}).
 * On a {@code Map<String, ?>} (written {@code @Query} without a name) it adds one parameter per entry,
 * an entry whose value is an {@code Iterable} or array once per element. Null values, null elements
 * and null maps are skipped. Names and values are percent-encoded.
 */
@Documented
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
public @interface Query {
  /** The parameter's name; empty (the default) only on a {@code Map} parameter. */
  String value() default "";
}

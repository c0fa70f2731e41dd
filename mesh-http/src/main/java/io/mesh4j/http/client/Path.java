package io.mesh4j.http.client;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Fills the {@code {name}} variable of the method's path template with this parameter's
 * {@code String.valueOf}, percent-encoded as one path segment ({@code /} becomes {@code %2F}, so a
 * value cannot add segments). A null, empty, {@code "."} or {@code ".."} value is refused with an
 * {@link IllegalArgumentException}: each would change which resource the path names.
 */
@Documented
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
public @interface Path {
  /** The variable's name, as written between braces in the template. */
  String value();
}

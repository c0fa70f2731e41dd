package io.mesh4j.http.client;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An HTTP PATCH. Not idempotent: only retried when it never reached a server, unless the method also carries {@link Idempotent}.
 *
 * <p>{@code value} is the path template, relative to the service and to {@link MeshClient#path()}:
 * {@code "/orders/{id}"}. Each {@code {name}} is filled from the {@link Path @Path("name")} parameter,
 * percent-encoded as one path segment. Query strings do not belong here: use {@link Query}.
 */
@Documented
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface PATCH {
  /** The path template, e.g. {@code "/orders/{id}"}; empty for the service's (or client's) root path. */
  String value() default "";
}

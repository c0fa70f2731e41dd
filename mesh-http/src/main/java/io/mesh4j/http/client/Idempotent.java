package io.mesh4j.http.client;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a POST or PATCH method safe to send twice, so the mesh may retry it on the statuses of the
 * retry policy (and hedge it when hedging is on), as it does GET, PUT and DELETE. The request is tagged
 * {@link io.mesh4j.http.Idempotency#YES}. Only for operations the server deduplicates or that have no
 * effect when repeated.
 */
@Documented
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface Idempotent {}

package io.mesh4j.http.client;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The request body. An {@code okhttp3.RequestBody} is sent as it is, a {@code byte[]} as
 * {@code application/octet-stream}, a {@code String} as {@code text/plain; charset=utf-8}; anything
 * else is encoded by the client's {@link BodyCodec} (JSON by default) against the parameter's declared
 * type. At most one per method, not on GET or HEAD. A null body is refused with an
 * {@link IllegalArgumentException}.
 */
@Documented
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
public @interface Body {}

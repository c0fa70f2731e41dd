package io.mesh4j.http;

/**
 * Marks a request as safe to send twice, so the mesh may retry or hedge it although its method is not
 * idempotent (POST, PATCH):
 *
 * <pre>{@code
 * new Request.Builder().url("http://payments/v1/charges").post(body).tag(Idempotency.class, Idempotency.YES)
 * }</pre>
 *
 * A request carrying an {@code Idempotency-Key} header is treated the same way.
 */
public enum Idempotency {
  YES
}

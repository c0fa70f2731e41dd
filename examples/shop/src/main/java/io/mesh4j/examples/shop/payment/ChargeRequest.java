package io.mesh4j.examples.shop.payment;

/** A charge: the caller's idempotency key and the amount. The HTTP body and the gRPC request message. */
public record ChargeRequest(String idempotencyKey, long amountCents) {}

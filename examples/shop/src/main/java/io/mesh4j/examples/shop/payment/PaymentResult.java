package io.mesh4j.examples.shop.payment;

/** The payment made, and the instance that made it. The HTTP answer and the gRPC response message. */
public record PaymentResult(String paymentId, String servedBy) {}

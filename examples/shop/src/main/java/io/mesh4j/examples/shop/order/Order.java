package io.mesh4j.examples.shop.order;

/** A placed order; says which instances of each service took part. */
public record Order(String id, int productId, int qty, long totalCents, String paymentId, String productServedBy,
    String paymentServedBy, String orderServedBy) {}

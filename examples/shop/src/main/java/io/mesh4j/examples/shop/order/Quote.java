package io.mesh4j.examples.shop.order;

/** The answer of {@code GET /orders/quote}; says which product instance priced it. */
public record Quote(int productId, int qty, long totalCents, String productServedBy) {}

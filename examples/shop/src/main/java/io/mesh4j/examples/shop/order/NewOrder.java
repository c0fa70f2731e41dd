package io.mesh4j.examples.shop.order;

/** The body of {@code POST /orders}. */
public record NewOrder(int productId, int qty) {}

package io.mesh4j.examples.shop.product;

/** A catalogue entry; the order service reads it through its {@code @MeshClient}. */
public record Product(int id, String name, long priceCents) {}

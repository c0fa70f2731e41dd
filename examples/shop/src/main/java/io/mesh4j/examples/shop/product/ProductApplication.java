package io.mesh4j.examples.shop.product;

import io.mesh4j.examples.shop.common.ShopInstanceConfiguration;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;

/** The product service: a catalogue with prices. Calls nobody. */
@SpringBootApplication
@Import(ShopInstanceConfiguration.class)
public class ProductApplication {}

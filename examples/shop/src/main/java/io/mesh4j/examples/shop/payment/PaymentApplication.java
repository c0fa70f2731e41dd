package io.mesh4j.examples.shop.payment;

import io.mesh4j.examples.shop.common.ShopInstanceConfiguration;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;

/** The payment service: charges, once per idempotency key. Calls nobody. */
@SpringBootApplication
@Import(ShopInstanceConfiguration.class)
public class PaymentApplication {}

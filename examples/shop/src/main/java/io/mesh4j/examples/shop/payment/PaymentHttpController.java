package io.mesh4j.examples.shop.payment;

import io.mesh4j.http.MeshHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Payments over HTTP: {@code POST /payments} with an {@code Idempotency-Key}. */
@RestController
class PaymentHttpController {
  private final Payments payments;

  PaymentHttpController(Payments payments) {
    this.payments = payments;
  }

  @PostMapping("/payments")
  PaymentResult charge(@RequestBody ChargeRequest request, @RequestHeader(MeshHeaders.IDEMPOTENCY_KEY) String key) {
    return new PaymentResult(payments.charge(key, request.amountCents()), payments.instanceName());
  }

  @ExceptionHandler(Payments.Unavailable.class)
  @ResponseStatus(HttpStatus.SERVICE_UNAVAILABLE)
  String unavailable(Payments.Unavailable e) {
    return e.getMessage();
  }
}

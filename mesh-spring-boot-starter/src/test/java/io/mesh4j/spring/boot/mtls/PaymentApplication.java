package io.mesh4j.spring.boot.mtls;

import io.mesh4j.spring.boot.MeshServerFilter;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** A payment service: one handler that counts its calls, and a health page. */
@SpringBootApplication
public class PaymentApplication {
  static final AtomicInteger PAYMENTS = new AtomicInteger();
  static final AtomicInteger ADMIN = new AtomicInteger();

  @RestController
  static class PaymentController {
    @PostMapping("/pay")
    String pay(jakarta.servlet.http.HttpServletRequest request) {
      PAYMENTS.incrementAndGet();
      return "paid for " + request.getAttribute(MeshServerFilter.CALLER_ATTRIBUTE);
    }

    @GetMapping("/admin/{account}/{action}")
    String admin(@org.springframework.web.bind.annotation.PathVariable("account") String account,
        @org.springframework.web.bind.annotation.PathVariable("action") String action) {
      ADMIN.incrementAndGet();
      return "did " + action + " to " + account;
    }

    @GetMapping("/status")
    String status() {
      return "up";
    }
  }
}

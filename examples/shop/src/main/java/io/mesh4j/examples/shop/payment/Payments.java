package io.mesh4j.examples.shop.payment;

import io.mesh4j.examples.shop.common.InstanceSpec;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Component;

/**
 * The payment logic, the same whichever transport serves it. Idempotent: a charge repeated with the
 * same key returns the first payment (kept in this instance's memory: enough for a demo, where a real
 * service would use its database). The flaky instance refuses a share of charges with
 * {@link Unavailable}, which the transports answer as 503 / UNAVAILABLE.
 */
@Component
public class Payments {
  private final InstanceSpec instance;
  private final Map<String, String> byKey = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong();
  private final Random random;

  public Payments(InstanceSpec instance) {
    this.instance = instance;
    this.random = new Random(instance.name().hashCode()); // seeded: the same run fails the same way
  }

  /** @return the payment id */
  public String charge(String idempotencyKey, long amountCents) {
    if (idempotencyKey == null || idempotencyKey.isBlank() || amountCents <= 0) {
      throw new IllegalArgumentException("idempotency key and a positive amount are required");
    }
    if (instance.failurePercent() > 0 && random.nextInt(100) < instance.failurePercent()) {
      throw new Unavailable(instance.name() + " is flaky today");
    }
    return byKey.computeIfAbsent(idempotencyKey, k -> instance.name() + "-" + sequence.incrementAndGet());
  }

  public String instanceName() {
    return instance.name();
  }

  /** A transient failure: safe to retry elsewhere. */
  public static final class Unavailable extends RuntimeException {
    Unavailable(String message) {
      super(message);
    }
  }
}

package io.mesh4j.http.internal;

import io.mesh4j.balance.RandomSource;
import io.mesh4j.http.MeshHeaders;
import io.mesh4j.policy.FaultPolicy;
import io.mesh4j.time.Ticker;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Fault injection for one attempt (layer 7): delays it, or answers it with an error status without
 * sending it. Applied per attempt, below retries, so the caller's own resilience — retries, timeouts,
 * the breaker — is what gets exercised. An injected abort never reaches an endpoint, so it does not
 * count against any endpoint's health (as with Envoy's fault filter, which runs before the upstream).
 */
final class Faults {
  static final AttributeKey<String> FAULT = AttributeKey.stringKey("mesh.fault");
  private static final MediaType TEXT = MediaType.get("text/plain; charset=utf-8");
  private static final long ONE_MILLION = 1_000_000;

  private Faults() {}

  /** Whether an event with probability {@code percent}/100 happens, at a resolution of 0.0001%. */
  static boolean draw(double percent, RandomSource random) {
    return percent > 0 && (percent >= 100 || random.nextLong(100 * ONE_MILLION) < (long) (percent * ONE_MILLION));
  }

  /** Applies the faults; returns the injected response when the attempt is aborted, else null. */
  static Response apply(FaultPolicy faults, RandomSource random, Ticker ticker, Interceptor.Chain chain,
      Request request, int attempt) throws IOException {
    if (!faults.delay().isZero() && draw(faults.delayPercent(), random)) {
      event("delay " + faults.delay().toMillis() + "ms");
      Waits.pause(faults.delay().toNanos(), chain, "an injected delay", ticker);
    }
    if (draw(faults.abortPercent(), random)) {
      event("abort " + faults.abortStatus());
      return new Response.Builder()
          .request(request)
          .protocol(Protocol.HTTP_1_1)
          .code(faults.abortStatus())
          .message("Fault Injected")
          .header("mesh-fault", "abort")
          .header(MeshHeaders.ATTEMPT, Integer.toString(attempt))
          .body(ResponseBody.create("fault injected by mesh policy", TEXT))
          .sentRequestAtMillis(System.currentTimeMillis())
          .receivedResponseAtMillis(System.currentTimeMillis())
          .build();
    }
    return null;
  }

  private static void event(String what) {
    Span span = Span.current();
    if (span.isRecording()) {
      span.addEvent("mesh.fault", Attributes.of(FAULT, what));
    }
  }


}

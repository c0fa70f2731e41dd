package io.mesh4j.examples.shop.common;

import io.mesh4j.http.MeshHeaders;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Every shop instance answers with {@code x-served-by: <instance>} and records what it served in the
 * demo's {@link Traffic}: the live view's per-instance rate, share, p50 / p99 and errors come from here,
 * measured where the work happens. A request with {@code mesh-attempt} above 1 is a retry or a hedge.
 */
public final class ServedByFilter extends OncePerRequestFilter {
  public static final String HEADER = "x-served-by";

  private final InstanceSpec instance;
  private final Traffic traffic;

  public ServedByFilter(InstanceSpec instance, Traffic traffic) {
    this.instance = instance;
    this.traffic = traffic;
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    long start = System.nanoTime();
    response.setHeader(HEADER, instance.name());
    boolean error = true;
    try {
      chain.doFilter(request, response);
      error = response.getStatus() >= 500;
    } finally {
      String attempt = request.getHeader(MeshHeaders.ATTEMPT);
      traffic.record(instance.service(), instance.name(), System.nanoTime() - start, error,
          attempt == null || attempt.equals("1"));
    }
  }
}

package io.mesh4j.spring.boot;

import io.mesh4j.Mesh;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.Collections;
import java.util.Objects;

/**
 * Inbound side of the mesh for servlet applications: extracts the caller's trace context and deadline
 * ({@code mesh-timeout-ms}) with the mesh's propagator and makes them current while the request is
 * handled, so every mesh call made for it inherits what is left of the caller's time.
 *
 * <p>The context is current on the thread that runs the filter chain; work handed to other threads
 * must carry it ({@code Context.current().wrap(...)}).
 */
public final class MeshServerFilter implements Filter {
  private static final TextMapGetter<HttpServletRequest> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(HttpServletRequest carrier) {
      return Collections.list(carrier.getHeaderNames());
    }

    @Override
    public String get(HttpServletRequest carrier, String key) {
      return carrier == null ? null : carrier.getHeader(key);
    }
  };

  private final Mesh mesh;

  public MeshServerFilter(Mesh mesh) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
  }

  @Override
  @SuppressWarnings("try") // the scope is held for its effect: the context is current inside the block
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (!(request instanceof HttpServletRequest http)) {
      chain.doFilter(request, response);
      return;
    }
    Context context = mesh.telemetry().propagator().extract(Context.current(), http, HEADERS);
    try (Scope ignored = context.makeCurrent()) {
      chain.doFilter(request, response);
    }
  }
}

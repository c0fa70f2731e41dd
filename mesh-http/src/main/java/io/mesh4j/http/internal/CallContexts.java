package io.mesh4j.http.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.opentelemetry.context.Context;
import okhttp3.Call;
import okhttp3.EventListener;

/**
 * Carries the caller's OpenTelemetry {@link Context} from the thread that creates a call to the
 * thread that runs it. OkHttp creates a call's event listener on the thread calling
 * {@code newCall}, which for {@code enqueue()} is not the dispatcher thread that runs the
 * interceptors; so the context is captured there, keyed by the call, and taken back by the outermost
 * interceptor.
 *
 * <p>Keys are weak (a call created and never run leaves nothing behind) and compared by identity.
 * Nothing is stored when the caller has no context (the root context), so applications that use
 * neither tracing nor deadlines pay one {@code Context.current()} read per call.
 */
public final class CallContexts {
  private final Cache<Call, Context> byCall = Caffeine.newBuilder().weakKeys().build();

  /** Wraps the application's listener factory; every listener still comes from it. */
  public EventListener.Factory capturing(EventListener.Factory delegate) {
    return call -> {
      Context current = Context.current();
      if (current != Context.root()) {
        byCall.put(call, current);
      }
      return delegate.create(call);
    };
  }

  /** The context captured when {@code call} was created, removing it; else the current context. */
  public Context take(Call call) {
    // Most applications create calls outside any context: then nothing was stored, and the size
    // check spares the map's removal path (which allocates a lookup key) on every call.
    if (byCall.estimatedSize() == 0) {
      return Context.current();
    }
    Context captured = byCall.asMap().remove(call);
    return captured != null ? captured : Context.current();
  }
}

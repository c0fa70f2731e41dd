package io.mesh4j.http.client;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.util.Map;

/** The proxy's one handler: a map lookup to the method's {@link MethodHandler}. */
final class ClientHandler implements InvocationHandler {
  private final Class<?> type;
  private final String service;
  private final Map<Method, MethodHandler> handlers;

  ClientHandler(Class<?> type, String service, Map<Method, MethodHandler> handlers) {
    this.type = type;
    this.service = service;
    this.handlers = handlers;
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    MethodHandler handler = handlers.get(method);
    if (handler != null) {
      return handler.invoke(args == null ? NO_ARGS : args);
    }
    if (method.getDeclaringClass() == Object.class) {
      switch (method.getName()) {
        case "equals":
          return proxy == args[0];
        case "hashCode":
          return System.identityHashCode(proxy);
        case "toString":
          return toString();
        default:
          break; // a proxy's handler sees no other method of Object
      }
    }
    if (method.isDefault()) {
      return InvocationHandler.invokeDefault(proxy, method, args);
    }
    throw new IllegalStateException(type.getName() + ": no handler for " + method);
  }

  private static final Object[] NO_ARGS = new Object[0];

  @Override
  public String toString() {
    return type.getSimpleName() + "@MeshClient(" + service + ")";
  }
}

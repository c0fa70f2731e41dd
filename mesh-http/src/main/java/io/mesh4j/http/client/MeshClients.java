package io.mesh4j.http.client;

import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.http.internal.TracingInterceptor;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;

/**
 * Makes implementations of {@link MeshClient} interfaces, whose calls run on a mesh-enabled
 * {@link OkHttpClient} ({@link MeshOkHttp#client}).
 *
 * <pre>{@code
 * OkHttpClient http = MeshOkHttp.client(mesh, new OkHttpClient());
 * MeshClients clients = MeshClients.builder(http).codec(JacksonCodec.of(objectMapper)).build();
 * OrdersClient orders = clients.create(OrdersClient.class);
 * Order o = orders.get(7);
 * }</pre>
 *
 * <p>Every method of the interface is parsed and checked once, in {@link #create}: an interface with
 * any problem (a {@code {var}} without its {@code @Path}, two bodies, an unsupported return type...)
 * is refused with an {@link InvalidClientException} listing them all, each naming its method. The
 * implementation is made once per interface and kept: {@code create} returns the same instance for the
 * same interface. It is thread-safe.
 *
 * <p>Failures: a non-2xx status is an {@link HttpStatusException}. Methods declaring
 * {@code throws IOException} throw failures as they are; other methods wrap them in the unchecked
 * {@link MeshClientException}; {@code CompletableFuture}s complete exceptionally with them.
 */
public final class MeshClients {
  private final OkHttpClient client;
  private final BodyCodec codec;
  private final MediaType codecType;
  private final ConcurrentMap<Class<?>, Object> made = new ConcurrentHashMap<>();

  private MeshClients(Builder b) {
    this.client = b.client;
    this.codec = b.codec != null ? b.codec : JacksonCodec.standard();
    MediaType type = MediaType.parse(codec.contentType());
    if (type == null) {
      throw new IllegalArgumentException("codec.contentType(): '" + codec.contentType()
          + "' (expected: a media type, e.g. application/json)");
    }
    this.codecType = type;
  }

  /**
   * A builder on {@code meshClient}, an {@link OkHttpClient} with the mesh installed
   * ({@link MeshOkHttp#client} or {@link MeshOkHttp#decorate}).
   *
   * @throws IllegalArgumentException when {@code meshClient} has no mesh installed
   */
  public static Builder builder(OkHttpClient meshClient) {
    Objects.requireNonNull(meshClient, "meshClient");
    boolean meshed = false;
    for (Interceptor i : meshClient.interceptors()) {
      meshed |= i instanceof TracingInterceptor;
    }
    if (!meshed) {
      throw new IllegalArgumentException("meshClient: an OkHttpClient without the mesh (expected: the client "
          + "MeshOkHttp.client(mesh, base) returns, so that service names resolve through the mesh)");
    }
    return new Builder(meshClient);
  }

  /** The codec for bodies. */
  public BodyCodec codec() {
    return codec;
  }

  /**
   * The implementation of {@code type}, made on the first call and kept.
   *
   * @throws InvalidClientException when {@code type} is not a valid client interface
   */
  public <T> T create(Class<T> type) {
    Objects.requireNonNull(type, "type");
    Object existing = made.get(type);
    if (existing == null) {
      existing = made.computeIfAbsent(type, this::make);
    }
    return type.cast(existing);
  }

  private Object make(Class<?> type) {
    if (!type.isInterface()) {
      throw new IllegalArgumentException(type.getName() + " is not an interface (expected: an interface annotated "
          + "@MeshClient)");
    }
    List<String> problems = new ArrayList<>();
    MeshClient annotation = type.getAnnotation(MeshClient.class);
    if (annotation == null) {
      problems.add(type.getSimpleName() + ": has no @MeshClient(\"<service>\") annotation");
      throw new InvalidClientException(type, problems);
    }
    String service = annotation.value();
    HttpUrl base = service.isEmpty() ? null : HttpUrl.parse("http://" + service + "/");
    if (base == null || !base.host().equals(service)) {
      problems.add(type.getSimpleName() + ": @MeshClient(\"" + service + "\") is not a service name (expected: "
          + "a host name in lower case, e.g. \"orders\")");
    }
    if (type.getTypeParameters().length > 0) {
      problems.add(type.getSimpleName() + ": has type parameters " + Arrays.toString(type.getTypeParameters())
          + " (expected: a non-generic interface; extend a generic one with concrete types)");
    }
    String prefix = annotation.path();
    if (!prefix.isEmpty() && (!prefix.startsWith("/") || prefix.endsWith("/"))) {
      problems.add(type.getSimpleName() + ": @MeshClient(path = \"" + prefix + "\") must start with '/' and not "
          + "end with it (e.g. \"/v1\")");
      prefix = ""; // reported once, not again for every method
    }
    MethodHandler.Client client = new MethodHandler.Client(type, service, prefix, base, this.client, codec,
        codecType);
    Method[] methods = type.getMethods();
    Arrays.sort(methods, Comparator.comparing(Method::getName).thenComparing(Method::toGenericString));
    Map<Method, MethodHandler> handlers = new HashMap<>();
    for (Method m : methods) {
      if (MethodHandler.isClientMethod(m)) {
        MethodHandler h = MethodHandler.parse(m, client, problems);
        if (h != null) {
          handlers.put(m, h);
        }
      } else if (m.isDefault() && hasVerb(m)) {
        problems.add(MethodHandler.describe(m) + ": is a default method with an HTTP method annotation "
            + "(a default method runs its own body; remove one or the other)");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidClientException(type, problems);
    }
    return Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
        new ClientHandler(type, service, Map.copyOf(handlers)));
  }

  private static boolean hasVerb(Method m) {
    return m.isAnnotationPresent(GET.class) || m.isAnnotationPresent(POST.class) || m.isAnnotationPresent(PUT.class)
        || m.isAnnotationPresent(PATCH.class) || m.isAnnotationPresent(DELETE.class)
        || m.isAnnotationPresent(HEAD.class);
  }

  @Override
  public String toString() {
    return "MeshClients{codec=" + codec + ", clients=" + made.size() + "}";
  }

  /** Configures a {@link MeshClients}. */
  public static final class Builder {
    private final OkHttpClient client;
    private BodyCodec codec;

    private Builder(OkHttpClient client) {
      this.client = client;
    }

    /** The codec of bodies. Default: {@link JacksonCodec#standard()}. */
    public Builder codec(BodyCodec value) {
      codec = Objects.requireNonNull(value, "codec");
      return this;
    }

    public MeshClients build() {
      return new MeshClients(this);
    }
  }
}

package io.mesh4j.http.client;

import io.mesh4j.http.MethodPolicy;
import io.mesh4j.policy.Durations;
import io.mesh4j.policy.HedgePolicy;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Array;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * One client method, parsed and checked once when the proxy is made: its verb, path template,
 * what each parameter contributes, how the answer is read, and its policy. A call then only builds
 * the URL, headers and body, creates the OkHttp call, runs it and decodes the answer.
 */
final class MethodHandler {
  private static final MediaType OCTET_STREAM = MediaType.get("application/octet-stream");
  private static final MediaType TEXT = MediaType.get("text/plain; charset=utf-8");
  private static final RequestBody EMPTY = RequestBody.create(new byte[0], null);

  /** What the interface-wide parse hands every method. */
  static final class Client {
    final Class<?> type;
    final String service;
    final String pathPrefix;
    final HttpUrl base;
    final OkHttpClient okHttp;
    final BodyCodec codec;
    final MediaType codecType;

    Client(Class<?> type, String service, String pathPrefix, HttpUrl base, OkHttpClient okHttp, BodyCodec codec,
        MediaType codecType) {
      this.type = type;
      this.service = service;
      this.pathPrefix = pathPrefix;
      this.base = base;
      this.okHttp = okHttp;
      this.codec = codec;
      this.codecType = codecType;
    }
  }

  private final String description;
  private final OkHttpClient okHttp;
  private final HttpUrl base;
  private final String verb;
  private final PathTemplate path;
  private final ParameterHandler[] parameters;
  private final boolean needsBody;
  private final ResponseReader reader;
  private final boolean async;
  private final boolean idempotent;
  private final MethodPolicy policy;
  private final Class<?>[] declared;

  private MethodHandler(String description, Client client, String verb, PathTemplate path,
      ParameterHandler[] parameters, boolean needsBody, ResponseReader reader, boolean async, MethodPolicy policy,
      Class<?>[] declared) {
    this.description = description;
    this.okHttp = client.okHttp;
    this.base = client.base;
    this.verb = verb;
    this.path = path;
    this.parameters = parameters;
    this.needsBody = needsBody;
    this.reader = reader;
    this.async = async;
    this.idempotent = policy.idempotent();
    this.policy = policy.isEmpty() ? null : policy;
    this.declared = declared;
  }

  // ---------------------------------------------------------------------------------------------
  // The call

  Object invoke(Object[] args) throws Throwable {
    Request request;
    try {
      request = request(args);
    } catch (IOException e) { // the codec could not encode the body
      if (async) {
        return CompletableFuture.failedFuture(e);
      }
      throw undeclared(e);
    }
    if (async) {
      return enqueue(request);
    }
    try {
      return reader.read(execute(request));
    } catch (IOException e) {
      throw undeclared(e);
    }
  }

  /** The request for {@code args}: URL, headers, body and tags. */
  Request request(Object[] args) throws IOException {
    Invocation in = new Invocation(base.newBuilder(), path.variables().size());
    for (int i = 0; i < parameters.length; i++) {
      parameters[i].apply(in, args[i]);
    }
    path.expand(in.url, in.pathValues);
    RequestBody body = in.body != null ? in.body : needsBody ? EMPTY : null;
    Request.Builder b = in.request.url(in.url.build()).method(verb, body);
    if (idempotent) {
      b.tag(io.mesh4j.http.Idempotency.class, io.mesh4j.http.Idempotency.YES);
    }
    if (policy != null) {
      b.tag(MethodPolicy.class, policy);
    }
    return b.build();
  }

  private Response execute(Request request) throws IOException {
    // The method's @Timeout travels as the request's MethodPolicy tag: the deadline layer applies it
    // once, with the caller's deadline when that is earlier, and names it when it passes.
    return okHttp.newCall(request).execute();
  }

  private CompletableFuture<Object> enqueue(Request request) {
    Call call = okHttp.newCall(request);
    CallFuture future = new CallFuture(call, reader);
    call.enqueue(future);
    return future;
  }

  /** The failure as the method may throw it: as it is when declared, else wrapped unchecked. */
  private Throwable undeclared(IOException e) {
    for (Class<?> c : declared) {
      if (c.isInstance(e)) {
        return e;
      }
    }
    return new MeshClientException(description, e);
  }

  /** A future completed by the call's callback; cancelling it cancels the call. */
  private static final class CallFuture extends CompletableFuture<Object> implements Callback {
    private final Call call;
    private final ResponseReader reader;

    CallFuture(Call call, ResponseReader reader) {
      this.call = call;
      this.reader = reader;
    }

    @Override
    public void onResponse(Call c, Response response) {
      try {
        complete(reader.read(response));
      } catch (Throwable t) {
        completeExceptionally(t);
      }
    }

    @Override
    public void onFailure(Call c, IOException e) {
      completeExceptionally(e);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      call.cancel();
      return cancelled;
    }
  }

  /** The request being built by one call. */
  static final class Invocation {
    final HttpUrl.Builder url;
    final String[] pathValues;
    final Request.Builder request = new Request.Builder();
    RequestBody body;

    Invocation(HttpUrl.Builder url, int variables) {
      this.url = url;
      this.pathValues = new String[variables];
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Parameters

  /** What one parameter contributes to the request. */
  abstract static class ParameterHandler {
    abstract void apply(Invocation in, Object value) throws IOException;
  }

  private static String text(Object value) {
    return value instanceof String ? (String) value : String.valueOf(value);
  }

  /** Where a named value goes: the query or the headers. */
  private interface Sink {
    void add(Invocation in, String name, String value);
  }

  /** Adds every non-null value of a single value, an Iterable or an array. */
  private static void addAll(Invocation in, String name, Object value, Sink sink) {
    if (value == null) {
      return;
    }
    if (value instanceof Iterable) {
      for (Object v : (Iterable<?>) value) {
        if (v != null) {
          sink.add(in, name, text(v));
        }
      }
    } else if (value.getClass().isArray()) {
      int n = Array.getLength(value);
      for (int i = 0; i < n; i++) {
        Object v = Array.get(value, i);
        if (v != null) {
          sink.add(in, name, text(v));
        }
      }
    } else {
      sink.add(in, name, text(value));
    }
  }

  private static final Sink QUERY = (in, name, value) -> in.url.addQueryParameter(name, value);
  private static final Sink HEADER = (in, name, value) -> in.request.addHeader(name, value);

  private static final class PathParameter extends ParameterHandler {
    private final String description;
    private final String name;
    private final int slot;

    PathParameter(String description, String name, int slot) {
      this.description = description;
      this.name = name;
      this.slot = slot;
    }

    @Override
    void apply(Invocation in, Object value) {
      if (value == null) {
        throw new IllegalArgumentException(description + ": @Path(\"" + name + "\") is null");
      }
      in.pathValues[slot] = text(value);
    }
  }

  /** A query parameter or header: one value, or one per element of an Iterable or array. */
  private static final class NamedParameter extends ParameterHandler {
    private final String name;
    private final boolean single;
    private final Sink sink;

    NamedParameter(String name, boolean single, Sink sink) {
      this.name = name;
      this.single = single;
      this.sink = sink;
    }

    @Override
    void apply(Invocation in, Object value) {
      if (single) {
        if (value != null) {
          sink.add(in, name, text(value));
        }
      } else {
        addAll(in, name, value, sink);
      }
    }
  }

  /** A Map of query parameters or headers. */
  private static final class MapParameter extends ParameterHandler {
    private final String description;
    private final String annotation;
    private final Sink sink;

    MapParameter(String description, String annotation, Sink sink) {
      this.description = description;
      this.annotation = annotation;
      this.sink = sink;
    }

    @Override
    void apply(Invocation in, Object value) {
      if (value == null) {
        return;
      }
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
        if (e.getKey() == null) {
          throw new IllegalArgumentException(description + ": @" + annotation + " map has a null key");
        }
        addAll(in, text(e.getKey()), e.getValue(), sink);
      }
    }
  }

  private static final class BodyParameter extends ParameterHandler {
    private final String description;
    private final Type type;
    private final BodyCodec codec;
    private final MediaType codecType;

    BodyParameter(String description, Type type, BodyCodec codec, MediaType codecType) {
      this.description = description;
      this.type = type;
      this.codec = codec;
      this.codecType = codecType;
    }

    @Override
    void apply(Invocation in, Object value) throws IOException {
      if (value == null) {
        throw new IllegalArgumentException(description + ": @Body is null");
      }
      if (value instanceof RequestBody) {
        in.body = (RequestBody) value;
      } else if (value instanceof byte[]) {
        in.body = RequestBody.create((byte[]) value, OCTET_STREAM);
      } else if (value instanceof String) {
        in.body = RequestBody.create((String) value, TEXT);
      } else {
        in.body = RequestBody.create(codec.encode(value, type), codecType);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Parsing and checking

  private static final List<Class<? extends Annotation>> VERBS =
      List.of(GET.class, POST.class, PUT.class, PATCH.class, DELETE.class, HEAD.class);

  /** "OrdersClient.get(long)". */
  static String describe(Method m) {
    StringBuilder s = new StringBuilder(m.getDeclaringClass().getSimpleName()).append('.').append(m.getName())
        .append('(');
    Class<?>[] types = m.getParameterTypes();
    for (int i = 0; i < types.length; i++) {
      s.append(i == 0 ? "" : ", ").append(types[i].getSimpleName());
    }
    return s.append(')').toString();
  }

  /** Whether {@code m} is one the proxy implements (not static, default or synthetic). */
  static boolean isClientMethod(Method m) {
    return !java.lang.reflect.Modifier.isStatic(m.getModifiers()) && !m.isDefault() && !m.isSynthetic()
        && !isObjectMethod(m);
  }

  /** equals, hashCode and toString, which an interface may redeclare: the proxy answers them. */
  static boolean isObjectMethod(Method m) {
    try {
      Object.class.getMethod(m.getName(), m.getParameterTypes());
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  /** Checks {@code m}; returns its handler, or null after adding its problems to {@code problems}. */
  static MethodHandler parse(Method m, Client client, List<String> problems) {
    int before = problems.size();
    String desc = describe(m);

    // The verb and path.
    String verb = null;
    String template = null;
    List<String> verbs = new ArrayList<>();
    for (Class<? extends Annotation> v : VERBS) {
      Annotation a = m.getAnnotation(v);
      if (a != null) {
        verbs.add("@" + v.getSimpleName());
        verb = v.getSimpleName();
        template = pathOf(a);
      }
    }
    if (verbs.isEmpty()) {
      problems.add(desc + ": has no HTTP method annotation (expected one of @GET, @POST, @PUT, @PATCH, @DELETE, @HEAD)");
    } else if (verbs.size() > 1) {
      problems.add(desc + ": has more than one HTTP method annotation " + verbs);
      verb = null;
    }
    PathTemplate path = template == null ? null : PathTemplate.parse(client.pathPrefix + template, desc, problems);
    boolean bodyless = "GET".equals(verb) || "HEAD".equals(verb);

    // The parameters.
    Parameter[] params = m.getParameters();
    Type[] types = m.getGenericParameterTypes();
    ParameterHandler[] handlers = new ParameterHandler[params.length];
    Set<String> bound = new HashSet<>();
    int bodies = 0;
    for (int i = 0; i < params.length; i++) {
      Parameter p = params[i];
      Class<?> raw = p.getType();
      String where = desc + ": parameter " + (i + 1) + " (" + raw.getSimpleName() + ")";
      Path pathA = p.getAnnotation(Path.class);
      Query queryA = p.getAnnotation(Query.class);
      Header headerA = p.getAnnotation(Header.class);
      Body bodyA = p.getAnnotation(Body.class);
      int count = (pathA != null ? 1 : 0) + (queryA != null ? 1 : 0) + (headerA != null ? 1 : 0) + (bodyA != null ? 1 : 0);
      if (count == 0) {
        problems.add(where + " has none of @Path, @Query, @Header, @Body");
        continue;
      }
      if (count > 1) {
        problems.add(where + " has more than one of @Path, @Query, @Header, @Body");
        continue;
      }
      boolean multi = Iterable.class.isAssignableFrom(raw) || raw.isArray();
      boolean map = Map.class.isAssignableFrom(raw);
      if (pathA != null) {
        String name = pathA.value();
        if (multi || map) {
          problems.add(where + ": @Path(\"" + name + "\") takes a single value, not a " + raw.getSimpleName());
        } else if (!bound.add(name)) {
          problems.add(where + ": @Path(\"" + name + "\") is bound twice");
        } else if (path != null && !path.variables().contains(name)) {
          problems.add(where + ": @Path(\"" + name + "\") names no {" + name + "} in \"" + path.text() + "\"");
        } else if (path != null) {
          handlers[i] = new PathParameter(desc, name, path.variables().indexOf(name));
        }
      } else if (queryA != null || headerA != null) {
        String annotation = queryA != null ? "Query" : "Header";
        String name = queryA != null ? queryA.value() : headerA.value();
        Sink sink = queryA != null ? QUERY : HEADER;
        if (map) {
          if (!name.isEmpty()) {
            problems.add(where + ": @" + annotation + "(\"" + name + "\") on a Map (expected: @" + annotation
                + " without a name; the map's keys are the names)");
          } else if (!stringKeys(types[i])) {
            problems.add(where + ": @" + annotation + " map must have String keys, not " + types[i].getTypeName());
          } else {
            handlers[i] = new MapParameter(desc, annotation, sink);
          }
        } else if (name.isEmpty()) {
          problems.add(where + ": @" + annotation + " needs a name (only a Map parameter goes without)");
        } else if (headerA != null && !validHeaderName(name)) {
          problems.add(where + ": @Header(\"" + name + "\") is not a valid header name");
        } else {
          handlers[i] = new NamedParameter(name, !multi && raw != Object.class, sink);
        }
      } else {
        bodies++;
        if (bodies == 2) {
          problems.add(desc + ": has more than one @Body parameter");
        } else if (bodyless) {
          problems.add(where + ": @Body on a " + verb + " (GET and HEAD requests have no body)");
        } else {
          handlers[i] = new BodyParameter(desc, types[i], client.codec, client.codecType);
        }
      }
    }
    if (path != null) {
      for (String v : path.variables()) {
        if (!bound.contains(v)) {
          problems.add(desc + ": {" + v + "} in \"" + path.text() + "\" has no @Path(\"" + v + "\") parameter");
        }
      }
    }

    // The answer.
    ResponseShape shape = ResponseShape.of(m, desc, problems);
    if (shape != null && "HEAD".equals(verb) && shape.kind != ResponseReader.Kind.VOID) {
      problems.add(desc + ": returns " + m.getGenericReturnType().getTypeName()
          + ", but a HEAD response has no body (expected: void, MeshResponse<Void> or CompletableFuture of either)");
    }

    // The policy.
    MethodPolicy.Builder policy = MethodPolicy.builder();
    boolean idempotent = m.isAnnotationPresent(Idempotent.class);
    policy.idempotent(idempotent);
    Timeout timeout = m.getAnnotation(Timeout.class);
    if (timeout != null) {
      try {
        policy.timeout(Durations.parse(timeout.value()));
      } catch (IllegalArgumentException e) {
        problems.add(desc + ": @Timeout(\"" + timeout.value() + "\") is not a duration > 0 (e.g. \"500ms\", \"2s\")");
      }
    }
    Retry retry = m.getAnnotation(Retry.class);
    if (retry != null) {
      try {
        policy.maxAttempts(retry.maxAttempts());
        if (retry.retryOn().length > 0) {
          List<Integer> statuses = new ArrayList<>();
          for (int s : retry.retryOn()) {
            statuses.add(s);
          }
          policy.retryOn(statuses);
        }
      } catch (IllegalArgumentException e) {
        problems.add(desc + ": @Retry " + e.getMessage());
      }
    }
    Hedge hedge = m.getAnnotation(Hedge.class);
    if (hedge != null) {
      HedgePolicy hedging = hedging(hedge, desc, problems);
      if (hedging != null) {
        policy.hedging(hedging);
        boolean idempotentVerb = verb == null || !("POST".equals(verb) || "PATCH".equals(verb));
        if (hedging.enabled() && !idempotentVerb && !idempotent) {
          problems.add(desc + ": @Hedge on a " + verb
              + " needs @Idempotent (only idempotent requests are hedged: a backup sends the request twice)");
        }
      }
    }

    if (problems.size() > before) {
      return null;
    }
    boolean needsBody = "POST".equals(verb) || "PUT".equals(verb) || "PATCH".equals(verb);
    ResponseReader reader = new ResponseReader(desc, client.service, shape.kind, shape.bodyType, shape.wrapped,
        client.codec);
    return new MethodHandler(desc, client, verb, path, handlers, needsBody, reader, shape.async, policy.build(),
        m.getExceptionTypes());
  }

  private static String pathOf(Annotation a) {
    if (a instanceof GET) {
      return ((GET) a).value();
    } else if (a instanceof POST) {
      return ((POST) a).value();
    } else if (a instanceof PUT) {
      return ((PUT) a).value();
    } else if (a instanceof PATCH) {
      return ((PATCH) a).value();
    } else if (a instanceof DELETE) {
      return ((DELETE) a).value();
    }
    return ((HEAD) a).value();
  }

  private static HedgePolicy hedging(Hedge h, String desc, List<String> problems) {
    String delay = h.delay().trim();
    try {
      Duration floor = Durations.parse(h.floor());
      if (delay.matches("p\\d{2}")) {
        return new HedgePolicy(h.enabled(), floor, Integer.parseInt(delay.substring(1)), h.maxAttempts());
      }
      return new HedgePolicy(h.enabled(), Durations.parse(delay), 0, h.maxAttempts());
    } catch (IllegalArgumentException e) { // Durations and HedgePolicy's checks (InvalidPolicyException)
      problems.add(desc + ": @Hedge(delay = \"" + h.delay() + "\", floor = \"" + h.floor() + "\", maxAttempts = "
          + h.maxAttempts() + ") is invalid: " + e.getMessage()
          + " (expected: delay a duration or p50..p99, floor a duration, maxAttempts 2..5)");
      return null;
    }
  }

  private static boolean stringKeys(Type mapType) {
    if (mapType instanceof ParameterizedType) {
      Type key = ((ParameterizedType) mapType).getActualTypeArguments()[0];
      return key == String.class;
    }
    return true; // a raw Map: keys are turned into text
  }

  private static boolean validHeaderName(String name) {
    try {
      new Headers.Builder().add(name, "");
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The return type taken apart: future or not, wrapped or not, and the body's type. */
  static final class ResponseShape {
    final boolean async;
    final boolean wrapped;
    final Type bodyType;
    final ResponseReader.Kind kind;

    private ResponseShape(boolean async, boolean wrapped, Type bodyType, ResponseReader.Kind kind) {
      this.async = async;
      this.wrapped = wrapped;
      this.bodyType = bodyType;
      this.kind = kind;
    }

    private static final String EXPECTED = " (expected: void, T, MeshResponse<T>, CompletableFuture<T> or "
        + "CompletableFuture<MeshResponse<T>>, T a concrete type)";

    static ResponseShape of(Method m, String desc, List<String> problems) {
      Type t = m.getGenericReturnType();
      String shown = t.getTypeName();
      boolean async = false;
      boolean wrapped = false;
      Class<?> raw = raw(t);
      if (raw == CompletableFuture.class || raw == CompletionStage.class) {
        if (!(t instanceof ParameterizedType)) {
          problems.add(desc + ": returns a raw " + raw.getSimpleName() + EXPECTED);
          return null;
        }
        t = ((ParameterizedType) t).getActualTypeArguments()[0];
        raw = raw(t);
        async = true;
      }
      if (raw == MeshResponse.class) {
        if (!(t instanceof ParameterizedType)) {
          problems.add(desc + ": returns a raw MeshResponse" + EXPECTED);
          return null;
        }
        t = ((ParameterizedType) t).getActualTypeArguments()[0];
        raw = raw(t);
        wrapped = true;
      }
      if (t == void.class || t == Void.class) {
        return new ResponseShape(async, wrapped, t, ResponseReader.Kind.VOID);
      }
      if (!concrete(t)) {
        problems.add(desc + ": returns " + shown + ", which has a type variable or wildcard" + EXPECTED);
        return null;
      }
      if (raw == CompletableFuture.class || raw == CompletionStage.class || raw == MeshResponse.class
          || Future.class.isAssignableFrom(raw) || raw == Response.class || raw == okhttp3.ResponseBody.class
          || raw == Call.class) {
        problems.add(desc + ": returns " + shown + ", which is not supported" + EXPECTED);
        return null;
      }
      ResponseReader.Kind kind = t == String.class ? ResponseReader.Kind.STRING
          : t == byte[].class ? ResponseReader.Kind.BYTES : ResponseReader.Kind.CODEC;
      return new ResponseShape(async, wrapped, t, kind);
    }

    private static Class<?> raw(Type t) {
      if (t instanceof Class) {
        return (Class<?>) t;
      }
      if (t instanceof ParameterizedType) {
        return (Class<?>) ((ParameterizedType) t).getRawType();
      }
      if (t instanceof GenericArrayType) {
        return Object[].class;
      }
      return Object.class; // type variables and wildcards: reported by concrete()
    }

    private static boolean concrete(Type t) {
      if (t instanceof Class) {
        return true;
      }
      if (t instanceof ParameterizedType) {
        for (Type a : ((ParameterizedType) t).getActualTypeArguments()) {
          if (!concrete(a)) {
            return false;
          }
        }
        return true;
      }
      if (t instanceof GenericArrayType) {
        return concrete(((GenericArrayType) t).getGenericComponentType());
      }
      return false; // a TypeVariable or WildcardType
    }
  }
}

package io.mesh4j.http.client;

import java.io.IOException;
import java.lang.reflect.Type;

/**
 * Turns {@link Body} parameters into bytes and response bodies into return values. The default is
 * {@link JacksonCodec#standard()}; applications pass their own {@code ObjectMapper} with
 * {@link JacksonCodec#of}, or implement this interface for another library (Jackson 3's
 * {@code JsonMapper}, Gson, Protobuf JSON...): see docs/annotated-clients.md.
 *
 * <p>{@code String}, {@code byte[]} and {@code okhttp3.RequestBody} bodies, and {@code String} and
 * {@code byte[]} return types, never reach the codec.
 *
 * <p>Implementations must be thread-safe: one codec serves every call of every client made by a
 * {@link MeshClients}. {@code type} is the declared (generic) type of the parameter or of the body
 * in the return type, e.g. {@code List<Order>} for {@code CompletableFuture<List<Order>>}.
 */
public interface BodyCodec {
  /** The media type of what {@link #encode} produces, e.g. {@code "application/json"}. */
  String contentType();

  /** Encodes a request body; {@code value} is not null. */
  byte[] encode(Object value, Type type) throws IOException;

  /** Decodes a non-empty 2xx response body into {@code type}. */
  Object decode(byte[] body, Type type) throws IOException;
}

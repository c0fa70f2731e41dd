package io.mesh4j.http.client;

import java.io.IOException;
import java.lang.reflect.Type;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Turns a response into what a client method returns, decided once per method: the body as nothing
 * ({@code void}), text, bytes or through the codec, bare or in a {@link MeshResponse}. Always closes
 * the response.
 */
final class ResponseReader {
  enum Kind { VOID, STRING, BYTES, CODEC }

  private final String clientMethod;
  private final String service;
  private final Kind kind;
  private final Type type;
  private final boolean primitive;
  private final boolean wrapped;
  private final BodyCodec codec;

  ResponseReader(String clientMethod, String service, Kind kind, Type type, boolean wrapped, BodyCodec codec) {
    this.clientMethod = clientMethod;
    this.service = service;
    this.kind = kind;
    this.type = type;
    this.primitive = type instanceof Class && ((Class<?>) type).isPrimitive();
    this.wrapped = wrapped;
    this.codec = codec;
  }

  Object read(Response response) throws IOException {
    try {
      int code = response.code();
      if (code < 200 || code > 299) {
        HttpStatusException e = HttpStatusException.of(clientMethod, service, response);
        if (wrapped) {
          return MeshResponse.failed(e);
        }
        throw e;
      }
      Object body = body(response);
      return wrapped ? MeshResponse.of(code, response.headers(), body) : body;
    } finally {
      response.close();
    }
  }

  private Object body(Response response) throws IOException {
    ResponseBody body = response.body();
    if (kind == Kind.VOID || body == null) {
      return nothing(response);
    }
    switch (kind) {
      case STRING:
        return body.string();
      case BYTES:
        return body.bytes();
      default:
        byte[] bytes = body.bytes();
        if (bytes.length == 0) {
          return nothing(response);
        }
        try {
          return codec.decode(bytes, type);
        } catch (IOException | RuntimeException e) {
          throw new IOException(clientMethod + ": the " + response.code() + " answer of service '" + service
              + "' is not a valid " + type.getTypeName() + " (" + e.getMessage() + ")", e);
        }
    }
  }

  private Object nothing(Response response) throws IOException {
    if (primitive && kind != Kind.VOID) {
      throw new IOException(clientMethod + ": the " + response.code() + " answer of service '" + service
          + "' has no body (expected: a " + type.getTypeName() + ")");
    }
    return null;
  }
}

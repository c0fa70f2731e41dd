package io.mesh4j.examples.shop.payment;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * gRPC messages as JSON: gRPC does not care how a message is encoded (protobuf is a convention), so a
 * hand-written method descriptor with this marshaller is a real gRPC service without a .proto file or
 * generated code. The wire format is gRPC's (length-prefixed messages over HTTP/2).
 */
final class JsonMarshaller<T> implements MethodDescriptor.Marshaller<T> {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Class<T> type;

  private JsonMarshaller(Class<T> type) {
    this.type = type;
  }

  static <T> JsonMarshaller<T> of(Class<T> type) {
    return new JsonMarshaller<>(type);
  }

  @Override
  public InputStream stream(T value) {
    try {
      return new ByteArrayInputStream(JSON.writeValueAsBytes(value));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public T parse(InputStream stream) {
    try (stream) {
      return JSON.readValue(stream, type);
    } catch (IOException e) {
      throw Status.INTERNAL.withDescription("malformed " + type.getSimpleName() + ": " + e.getMessage())
          .withCause(e).asRuntimeException();
    }
  }
}

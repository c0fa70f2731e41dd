package io.mesh4j.examples.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A one-method gRPC service, {@code example.Greeter/Hello}, written by hand so that the example needs no
 * protoc: messages are UTF-8 strings. With generated stubs nothing in the mesh part changes.
 */
final class Greeter {
  static final MethodDescriptor.Marshaller<String> UTF8 = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  static final MethodDescriptor<String, String> HELLO = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("example.Greeter/Hello")
      .setRequestMarshaller(UTF8)
      .setResponseMarshaller(UTF8)
      .build();

  private Greeter() {}

  /** The service of one server: answers "hello NAME from SERVER", after {@code delay}. */
  static ServerServiceDefinition service(String server, Duration delay) {
    return ServerServiceDefinition.builder("example.Greeter")
        .addMethod(HELLO, ServerCalls.asyncUnaryCall((name, reply) -> {
          if (!delay.isZero()) {
            try {
              Thread.sleep(delay.toMillis()); // the slow server: simulated work, not synchronisation
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          reply.onNext("hello " + name + " from " + server);
          reply.onCompleted();
        }))
        .build();
  }
}

package io.mesh4j.examples.shop.payment;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;

/**
 * The payment service's gRPC contract, by hand: one unary method, {@code shop.Payment/Charge}, with JSON
 * messages ({@link JsonMarshaller}). What protoc would generate from
 * {@code service Payment { rpc Charge(ChargeRequest) returns (PaymentResult); }}, in a dozen lines.
 * The order service calls it through a mesh channel; the payment service serves it with {@link #bind}.
 */
public final class PaymentGrpc {
  public static final String SERVICE_NAME = "shop.Payment";

  /** Safe to retry: the request carries the idempotency key, and payment charges once per key. */
  public static final MethodDescriptor<ChargeRequest, PaymentResult> CHARGE =
      MethodDescriptor.<ChargeRequest, PaymentResult>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE_NAME, "Charge"))
          .setRequestMarshaller(JsonMarshaller.of(ChargeRequest.class))
          .setResponseMarshaller(JsonMarshaller.of(PaymentResult.class))
          .setIdempotent(true)
          .build();

  private PaymentGrpc() {}

  /** The server side: {@code Charge} handled by {@link Payments}; the flaky instance's refusals are UNAVAILABLE. */
  public static ServerServiceDefinition bind(Payments payments) {
    return ServerServiceDefinition.builder(SERVICE_NAME)
        .addMethod(CHARGE, ServerCalls.asyncUnaryCall((request, response) -> {
          try {
            response.onNext(new PaymentResult(payments.charge(request.idempotencyKey(), request.amountCents()),
                payments.instanceName()));
            response.onCompleted();
          } catch (Payments.Unavailable e) {
            response.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
          } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
          }
        }))
        .build();
  }
}

package io.mesh4j.examples.shop.order;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.mesh4j.examples.shop.payment.ChargeRequest;
import io.mesh4j.examples.shop.payment.PaymentGrpc;
import io.mesh4j.examples.shop.payment.PaymentResult;
import java.io.IOException;

/**
 * Payment over gRPC, on the mesh channel the starter makes for {@code mesh.grpc.channels: payment}
 * ({@code MeshGrpc.channel(mesh, "payment")}: the {@code mesh:///payment} resolver fed by the control
 * plane, the mesh's P2C balancer, and the payment policy as the channel's service config — timeout,
 * retries, retry throttling).
 */
final class GrpcPaymentGateway implements PaymentGateway {
  private final ManagedChannel channel;

  GrpcPaymentGateway(ManagedChannel channel) {
    this.channel = channel;
  }

  @Override
  public Charge charge(String idempotencyKey, long amountCents) throws IOException {
    try {
      PaymentResult r = ClientCalls.blockingUnaryCall(channel, PaymentGrpc.CHARGE, CallOptions.DEFAULT,
          new ChargeRequest(idempotencyKey, amountCents));
      return new Charge(r.paymentId(), r.servedBy());
    } catch (StatusRuntimeException e) {
      throw new IOException("payment over gRPC: " + e.getStatus(), e);
    }
  }
}

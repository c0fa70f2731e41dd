package io.mesh4j.benchmarks.scenario;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.AbstractBlockingStub;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.mesh4j.benchmarks.grpc.ByteMethods;
import io.mesh4j.discovery.Endpoint;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * One grpc-java Netty server on 127.0.0.1 (ephemeral port) serving a single unary method,
 * {@code bench.Backends/Work}, hand-written with a bytes marshaller (no protoc). The answer is sent after
 * a delay chosen per request ({@code delayMillis}), on a scheduled executor of the server's own: no thread
 * sleeps, and no Netty event loop is held. When the caller cancels (its deadline expired) the pending answer
 * is dropped. Counts the requests it receives, and those that carry gRPC's
 * {@code grpc-previous-rpc-attempts} header (a native retry or hedge of an earlier attempt).
 */
final class GrpcLoopbackServer implements AutoCloseable {
  static final String SERVICE_NAME = "bench.Backends";
  static final MethodDescriptor<byte[], byte[]> WORK = ByteMethods.unary(SERVICE_NAME, "Work");
  private static final Metadata.Key<String> PREVIOUS_ATTEMPTS =
      Metadata.Key.of("grpc-previous-rpc-attempts", Metadata.ASCII_STRING_MARSHALLER);
  private static final byte[] OK = {'o', 'k'};

  /** What a generated blocking stub for {@code Work} would be. */
  static final class WorkStub extends AbstractBlockingStub<WorkStub> {
    WorkStub(Channel channel) {
      super(channel, CallOptions.DEFAULT);
    }

    private WorkStub(Channel channel, CallOptions options) {
      super(channel, options);
    }

    @Override
    protected WorkStub build(Channel channel, CallOptions options) {
      return new WorkStub(channel, options);
    }

    byte[] work(byte[] request) {
      return ClientCalls.blockingUnaryCall(getChannel(), WORK, getCallOptions(), request);
    }
  }

  final String name;
  private final Server server;
  private final ScheduledThreadPoolExecutor timer;
  /** Requests that reached the handler. */
  private final LongAdder received = new LongAdder();
  /** Requests with a {@code grpc-previous-rpc-attempts} header. */
  final LongAdder laterAttempts = new LongAdder();

  /**
   * @param delayMillis called once per request as it arrives: how long to wait before answering
   */
  GrpcLoopbackServer(String name, LongSupplier delayMillis) throws IOException {
    this.name = name;
    timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, name + "-timer");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE_NAME)
        .addMethod(WORK, ServerCalls.asyncUnaryCall((request, out) -> {
          long delay = delayMillis.getAsLong();
          ServerCallStreamObserver<byte[]> call = (ServerCallStreamObserver<byte[]>) out;
          ScheduledFuture<?> answer = timer.schedule(() -> {
            if (!call.isCancelled()) {
              call.onNext(OK);
              call.onCompleted();
            }
          }, delay, TimeUnit.MILLISECONDS);
          call.setOnCancelHandler(() -> answer.cancel(false)); // the caller gave up: drop the answer
        }))
        .build();
    ServerInterceptor counting = new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
          ServerCallHandler<Q, A> next) {
        received.increment();
        if (headers.containsKey(PREVIOUS_ATTEMPTS)) {
          laterAttempts.increment();
        }
        return next.startCall(call, headers);
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(service, counting))
        .build()
        .start();
  }

  Endpoint endpoint() {
    return Endpoint.of("127.0.0.1", server.getPort());
  }

  long received() {
    return received.sum();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    timer.shutdownNow();
  }
}

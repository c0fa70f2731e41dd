package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Status;
import io.mesh4j.Outcome;
import io.mesh4j.policy.HedgePolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.ServicePolicy;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The policy -> service config mapping, exactly, and that gRPC's own parser accepts each result. */
class ServiceConfigsTest {
  private static final Map<String, ?> LB = Map.of("mesh4j_p2c", Map.of());

  @Test
  void defaultPolicy() {
    Map<String, ?> config = ServiceConfigs.of(ServicePolicy.DEFAULT);
    assertThat(config).isEqualTo(Map.of(
        "loadBalancingConfig", List.of(LB),
        "methodConfig", List.of(Map.of(
            "name", List.of(Map.of()),
            "timeout", "15.000s",
            "retryPolicy", Map.of(
                "maxAttempts", 3.0,
                "initialBackoff", "0.025s",
                "maxBackoff", "0.250s",
                "backoffMultiplier", 2.0,
                "retryableStatusCodes", List.of("UNAVAILABLE")))),
        "retryThrottling", Map.of("maxTokens", 20.0, "tokenRatio", 0.2)));
    assertParses(config);
  }

  @Test
  void retriesDisabledLeavesOnlyTheTimeout() {
    Map<String, ?> config = ServiceConfigs.of(ServicePolicy.builder().totalTimeout(Duration.ofMillis(1500))
        .retries(RetryPolicy.disabled()).build());
    assertThat(config).isEqualTo(Map.of(
        "loadBalancingConfig", List.of(LB),
        "methodConfig", List.of(Map.of("name", List.of(Map.of()), "timeout", "1.500s"))));
    assertParses(config);
  }

  @Test
  void oneAttemptOrAnEmptyBudgetMeansNoRetries() {
    assertThat(ServiceConfigs.of(ServicePolicy.builder().retries(RetryPolicy.builder().maxAttempts(1).build())
        .build())).doesNotContainKey("retryThrottling");
    Map<String, ?> noBudget = ServiceConfigs.of(ServicePolicy.builder()
        .retries(RetryPolicy.builder().budget(0, 0, Duration.ofSeconds(10)).build()).build());
    assertThat(noBudget).doesNotContainKey("retryThrottling");
    assertThat(((List<?>) noBudget.get("methodConfig")).get(0)).isEqualTo(
        Map.of("name", List.of(Map.of()), "timeout", "15.000s"));
  }

  @Test
  void retryOnStatusesMapToGrpcCodesAndBudgetToThrottling() {
    RetryPolicy retries = RetryPolicy.builder().maxAttempts(5).retryOn(List.of(409, 429, 499, 500, 502, 404))
        .backoff(Duration.ofMillis(10), Duration.ofSeconds(1)).budget(50, 1000, Duration.ofSeconds(5)).build();
    Map<String, ?> config = ServiceConfigs.of(ServicePolicy.builder().totalTimeout(Duration.ofSeconds(3))
        .retries(retries).build());
    assertThat(config).isEqualTo(Map.of(
        "loadBalancingConfig", List.of(LB),
        "methodConfig", List.of(Map.of(
            "name", List.of(Map.of()),
            "timeout", "3.000s",
            "retryPolicy", Map.of(
                "maxAttempts", 5.0,
                "initialBackoff", "0.010s",
                "maxBackoff", "1.000s",
                "backoffMultiplier", 2.0,
                "retryableStatusCodes", List.of("ABORTED", "CANCELLED", "INTERNAL", "NOT_FOUND", "RESOURCE_EXHAUSTED",
                    "UNAVAILABLE")))),
        "retryThrottling", Map.of("maxTokens", 1000.0, "tokenRatio", 0.5)));
    assertParses(config);
  }

  @Test
  void fixedHedgingWinsOverRetries() {
    Map<String, ?> config = ServiceConfigs.of(ServicePolicy.builder().totalTimeout(Duration.ofSeconds(2))
        .hedging(new HedgePolicy(true, Duration.ofMillis(40), 0, 3)).build());
    assertThat(config).isEqualTo(Map.of(
        "loadBalancingConfig", List.of(LB),
        "methodConfig", List.of(Map.of(
            "name", List.of(Map.of()),
            "timeout", "2.000s",
            "hedgingPolicy", Map.of(
                "maxAttempts", 3.0,
                "hedgingDelay", "0.040s",
                "nonFatalStatusCodes", List.of("UNAVAILABLE")))),
        "retryThrottling", Map.of("maxTokens", 20.0, "tokenRatio", 0.2)));
    assertParses(config);
  }

  @Test
  void percentileHedgingHasNoNativeFormSoRetriesApply() {
    Map<String, ?> config = ServiceConfigs.of(ServicePolicy.builder()
        .hedging(HedgePolicy.percentile(95, Duration.ofMillis(10))).build());
    Map<?, ?> method = (Map<?, ?>) ((List<?>) config.get("methodConfig")).get(0);
    assertThat(method.containsKey("retryPolicy")).isTrue();
    assertThat(method.containsKey("hedgingPolicy")).isFalse();
  }

  @Test
  void durationsAreProtobufJson() {
    assertThat(ServiceConfigs.duration(Duration.ofMillis(1500))).isEqualTo("1.500s");
    assertThat(ServiceConfigs.duration(Duration.ofMillis(25))).isEqualTo("0.025s");
    assertThat(ServiceConfigs.duration(Duration.ofNanos(500_000))).isEqualTo("0.000500000s");
    assertThat(ServiceConfigs.duration(Duration.ofMinutes(5))).isEqualTo("300.000s");
  }

  @Test
  void statusToOutcome() {
    assertThat(MeshStreamTracer.outcome(Status.Code.OK)).isEqualTo(Outcome.SUCCESS);
    assertThat(MeshStreamTracer.outcome(Status.Code.NOT_FOUND)).isEqualTo(Outcome.SUCCESS);
    assertThat(MeshStreamTracer.outcome(Status.Code.INVALID_ARGUMENT)).isEqualTo(Outcome.SUCCESS);
    assertThat(MeshStreamTracer.outcome(Status.Code.CANCELLED)).isEqualTo(Outcome.CANCELLED);
    assertThat(MeshStreamTracer.outcome(Status.Code.DEADLINE_EXCEEDED)).isEqualTo(Outcome.TIMEOUT);
    for (Status.Code c : List.of(Status.Code.UNAVAILABLE, Status.Code.INTERNAL, Status.Code.UNKNOWN,
        Status.Code.DATA_LOSS)) {
      assertThat(MeshStreamTracer.outcome(c)).as(c.name()).isEqualTo(Outcome.FAILURE);
    }
    // Overload is not an endpoint failure, as HTTP 429 is not (AnswerClass): it used to eject on gRPC only.
    assertThat(MeshStreamTracer.outcome(Status.Code.RESOURCE_EXHAUSTED)).isEqualTo(Outcome.SUCCESS);
  }

  @Test
  void theParserUsedForChecksRejectsWhatGrpcRejects() {
    Map<String, ?> bad = Map.of("methodConfig", List.of(Map.of("name", List.of(Map.of()),
        "retryPolicy", Map.of("maxAttempts", 1.0, "initialBackoff", "0.025s", "maxBackoff", "0.250s",
            "backoffMultiplier", 2.0, "retryableStatusCodes", List.of("UNAVAILABLE")))));
    assertThat(parse(bad).getError()).isNotNull();
  }

  private static void assertParses(Map<String, ?> config) {
    NameResolver.ConfigOrError parsed = parse(config);
    assertThat(parsed.getError()).as("parse error of %s", config).isNull();
    assertThat(parsed.getConfig()).isNotNull();
  }

  /** Parses {@code config} with the service-config parser of a real channel (captured from its resolver args). */
  private static NameResolver.ConfigOrError parse(Map<String, ?> config) {
    AtomicReference<NameResolver.ServiceConfigParser> parser = new AtomicReference<>();
    NameResolverProvider capture = new NameResolverProvider() {
      @Override
      public NameResolver newNameResolver(URI uri, NameResolver.Args args) {
        parser.set(args.getServiceConfigParser());
        return new NameResolver() {
          @Override
          public String getServiceAuthority() {
            return "capture";
          }

          @Override
          public void start(Listener2 listener) {}

          @Override
          public void shutdown() {}
        };
      }

      @Override
      protected boolean isAvailable() {
        return true;
      }

      @Override
      protected int priority() {
        return 5;
      }

      @Override
      public String getDefaultScheme() {
        return "lbtestcapture";
      }
    };
    @SuppressWarnings("deprecation") // test only: the simplest way to reach a real channel's parser
    ManagedChannel channel = ManagedChannelBuilder.forTarget("lbtestcapture:///x").nameResolverFactory(capture)
        .usePlaintext().build();
    try {
      return parser.get().parseServiceConfig(config);
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}

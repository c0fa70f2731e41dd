package io.mesh4j.examples.shop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Runs the whole demo in its short mode — control plane, seven Spring Boot instances, load generator,
 * the five steps — and checks what each step claims, from the figures the demo measured. Bounded: the
 * walk-through takes about a minute; the test gives it four. Payment is on gRPC (the default): its
 * instances register only their gRPC port, so every charge counted here went through the mesh channel.
 */
class ShopDemoTest {
  @Test
  void shortWalkThroughShowsWhatItClaims() {
    ShopDemo.Options options = new ShopDemo.Options(ShopDemo.Mode.SHORT, false, false, ShopDemo.Transport.GRPC, 50, 42);
    ShopDemo.Summary summary = assertTimeoutPreemptively(Duration.ofMinutes(4),
        () -> ShopDemo.run(options, System.out, new CountDownLatch(0)));
    String table = ShopDemo.summaryTable(summary.steps());

    assertThat(summary.steps()).extracting(ShopDemo.StepResult::step).as(table).containsExactly(
        "1 steering", "2 canary 90/10", "2 canary 50/50", "3 fault 20% aborts", "4 kill product-1",
        "5 control plane down");

    // Traffic moved off the slow instance: far below its fair third.
    assertThat(summary.step("1 steering").figure("share")).as(table).isLessThan(0.20);

    // The canary split, pushed through the control plane, reached every caller and held within tolerance.
    ShopDemo.StepResult canary10 = summary.step("2 canary 90/10");
    assertThat(canary10.figure("spread")).as(table).isEqualTo(1.0);
    assertThat(canary10.figure("share")).as(table).isCloseTo(0.10, within(0.06));
    ShopDemo.StepResult canary50 = summary.step("2 canary 50/50");
    assertThat(canary50.figure("share")).as(table).isCloseTo(0.50, within(0.10));

    // 20% aborts on payment: absorbed by retries, and the retries stayed within the budget.
    ShopDemo.StepResult fault = summary.step("3 fault");
    assertThat(fault.figure("failed")).as(table).isZero();
    assertThat(fault.figure("retries")).as(table).isPositive().isLessThanOrEqualTo(fault.figure("allowance"));

    // An instance killed: ejected, traffic moved off it, and not one idempotent call failed through it.
    ShopDemo.StepResult kill = summary.step("4 kill");
    assertThat(kill.figure("ejected")).as(table).isEqualTo(1.0);
    assertThat(kill.figure("abandoned")).as(table).isEqualTo(1.0);
    assertThat(kill.figure("failed")).as(table).isZero();
    assertThat(kill.figure("calls")).as(table).isPositive();

    // The control plane stopped: every mesh noticed, and every service kept serving, without failures.
    ShopDemo.StepResult down = summary.step("5 control plane down");
    assertThat(down.figure("edgesSeen")).as(table + " the control plane's topology has load->order (HTTP),"
        + " order->product (HTTP) and order->payment (gRPC)").isEqualTo(1.0);
    assertThat(down.figure("disconnected")).as(table).isEqualTo(1.0);
    assertThat(down.figure("failed")).as(table).isZero();
    assertThat(down.figure("productServed")).as(table).isPositive();
    assertThat(down.figure("paymentServed")).as(table).isPositive();

    assertThat(summary.complete()).isTrue();
    assertThat(summary.passed()).as(table).isTrue();
  }

  @Test
  void flags() {
    assertThat(ShopDemo.Options.parse(new String[] {"--short", "--plain"}))
        .returns(ShopDemo.Mode.SHORT, ShopDemo.Options::mode).returns(false, ShopDemo.Options::ansi);
    assertThat(ShopDemo.Options.parse(new String[] {"--forever", "--short", "--rate=80"}))
        .returns(ShopDemo.Mode.SHORT, ShopDemo.Options::mode).returns(true, ShopDemo.Options::forever)
        .returns(80, ShopDemo.Options::rate);
    assertThat(ShopDemo.Options.parse(new String[0]))
        .returns(ShopDemo.Mode.FULL, ShopDemo.Options::mode).returns(false, ShopDemo.Options::forever)
        .returns(ShopDemo.Transport.GRPC, ShopDemo.Options::payment);
    assertThat(ShopDemo.Options.parse(new String[] {"--payment=http"}).payment()).isEqualTo(ShopDemo.Transport.HTTP);
    assertThatThrownBy(() -> ShopDemo.Options.parse(new String[] {"--fast"}))
        .hasMessageContaining("unknown argument: --fast");
    assertThatThrownBy(() -> ShopDemo.Options.parse(new String[] {"--rate=0"}))
        .hasMessageContaining("rate: 0 (expected: 1..1000)");
  }

  @Test
  void summaryTableHasOneRowPerStep() {
    String table = ShopDemo.summaryTable(List.of(
        new ShopDemo.StepResult("1 steering", "share < 20%", "3.1%", true, Map.of()),
        new ShopDemo.StepResult("4 kill", "0 failed", "2 failed", false, Map.of())));
    assertThat(table.lines()).hasSize(9); // rule, header, rule, then per step: expected, measured, rule
    assertThat(table.lines().toList().get(3)).startsWith("| 1 steering | PASS   | expected: share < 20% ");
    assertThat(table.lines().toList().get(4)).startsWith("|            |        | measured: 3.1% ");
    assertThat(table.lines().toList().get(6)).startsWith("| 4 kill     | FAIL   | expected: 0 failed ");
    assertThat(table.lines()).allSatisfy(l -> assertThat(l).hasSize(ShopDemo.SUMMARY_WIDTH));
  }
}

package io.mesh4j.deadline;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.time.ManualTicker;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** DeadlinePropagator: the mesh-timeout-ms header, on a Map carrier. */
class DeadlinePropagatorTest {
  private static final String HEADER = "mesh-timeout-ms";
  private static final TextMapSetter<Map<String, String>> SETTER = Map::put;
  private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  private final ManualTicker sender = new ManualTicker();
  private final ManualTicker receiver = new ManualTicker();
  private final DeadlinePropagator out = DeadlinePropagator.create(sender);
  private final DeadlinePropagator in = DeadlinePropagator.create(receiver);

  private Map<String, String> inject(Deadline d) {
    Map<String, String> carrier = new HashMap<>();
    out.inject(Context.root().with(d), carrier, SETTER);
    return carrier;
  }

  private Context extract(Context context, String value) {
    return in.extract(context, Map.of(HEADER, value), GETTER);
  }

  @Test
  void declaresItsHeader() {
    assertThat(out.fields()).containsExactly(HEADER);
    assertThat(DeadlinePropagator.HEADER).isEqualTo(HEADER);
  }

  @Test
  void injectWritesTheRemainingMilliseconds() {
    Deadline d = Deadline.after(Duration.ofMillis(1500), sender);
    assertThat(inject(d)).containsExactly(Map.entry(HEADER, "1500"));

    sender.advance(Duration.ofMillis(300).plusNanos(1));
    assertThat(inject(d)).containsEntry(HEADER, "1199"); // rounded down
  }

  @Test
  void injectNeverWritesZeroWhileTimeIsLeft() {
    Deadline d = Deadline.after(Duration.ofMillis(1), sender);
    sender.advance(Duration.ofNanos(999_999));

    assertThat(inject(d)).containsEntry(HEADER, "1");
  }

  @Test
  void injectWritesZeroOnceExpired() {
    Deadline d = Deadline.after(Duration.ofMillis(5), sender);
    sender.advance(Duration.ofMillis(5));
    assertThat(inject(d)).containsEntry(HEADER, "0");

    sender.advance(Duration.ofSeconds(3));
    assertThat(inject(d)).containsEntry(HEADER, "0");
  }

  @Test
  void injectWithoutADeadlineWritesNothing() {
    Map<String, String> carrier = new HashMap<>();
    out.inject(Context.root(), carrier, SETTER);
    out.inject(Context.root().with(Deadline.after(Duration.ofSeconds(1), sender)), null, SETTER);

    assertThat(carrier).isEmpty();
  }

  @Test
  void extractCreatesADeadlineOnTheReceiversTicker() {
    receiver.advance(Duration.ofHours(5)); // clocks of two hosts are never compared
    sender.advance(Duration.ofDays(2));

    Deadline d = Deadline.fromContext(extract(Context.root(), "250"));

    assertThat(d).isNotNull();
    assertThat(d.remaining()).isEqualTo(Duration.ofMillis(250));
    sender.advance(Duration.ofSeconds(10));
    assertThat(d.isExpired()).isFalse();
    receiver.advance(Duration.ofMillis(250));
    assertThat(d.isExpired()).isTrue();
  }

  @Test
  void roundTripCarriesTheTimeLeft() {
    Deadline d = Deadline.after(Duration.ofSeconds(2), sender);
    sender.advance(Duration.ofMillis(700));
    Map<String, String> carrier = inject(d);

    Deadline received = Deadline.fromContext(in.extract(Context.root(), carrier, GETTER));

    assertThat(received.remaining()).isEqualTo(Duration.ofMillis(1300));
  }

  @Test
  void zeroHeaderIsAnExpiredDeadline() {
    assertThat(Deadline.fromContext(extract(Context.root(), "0")).isExpired()).isTrue();
  }

  @Test
  void surroundingWhitespaceIsTolerated() {
    assertThat(Deadline.fromContext(extract(Context.root(), " 40 ")).remaining()).isEqualTo(Duration.ofMillis(40));
  }

  @Test
  void malformedNegativeAndHugeValuesAreIgnored() {
    Context root = Context.root();
    for (String bad : List.of("", " ", "abc", "-5", "+5", "1.5", "0x10", "1e3", "12ms", "١٢",
        "99999999999999999999", "999999999999", String.valueOf(DeadlinePropagator.MAX_MILLIS + 1))) {
      Context result = extract(root, bad);
      assertThat(result).as("'%s'", bad).isSameAs(root);
      assertThat(Deadline.fromContext(result)).as("'%s'", bad).isNull();
    }
  }

  @Test
  void largestAcceptedValueIsAboutOneHundredDays() {
    Deadline d = Deadline.fromContext(extract(Context.root(), String.valueOf(DeadlinePropagator.MAX_MILLIS)));

    assertThat(d.remaining()).isEqualTo(Duration.ofDays(100));
  }

  @Test
  void ignoredHeaderKeepsTheLocalDeadline() {
    Deadline local = Deadline.after(Duration.ofSeconds(1), receiver);
    Context ctx = Context.root().with(local);

    assertThat(Deadline.fromContext(extract(ctx, "-1"))).isSameAs(local);
  }

  @Test
  void missingHeaderOrCarrierLeavesTheContextAlone() {
    Context root = Context.root();
    assertThat(in.extract(root, Map.of("other", "5"), GETTER)).isSameAs(root);
    assertThat(in.extract(root, null, GETTER)).isSameAs(root);
  }

  @Test
  void earlierLocalDeadlineWinsOverTheExtractedOne() {
    Deadline local = Deadline.after(Duration.ofMillis(100), receiver);

    Context ctx = extract(Context.root().with(local), "500");

    assertThat(Deadline.fromContext(ctx)).isSameAs(local);
  }

  @Test
  void earlierExtractedDeadlineWinsOverALaterLocalOne() {
    Deadline local = Deadline.after(Duration.ofSeconds(1), receiver);

    Context ctx = extract(Context.root().with(local), "200");

    assertThat(Deadline.fromContext(ctx).remaining()).isEqualTo(Duration.ofMillis(200));
  }

  @Test
  void parseMillisAcceptsOnlyDecimalDigitsInRange() {
    assertThat(DeadlinePropagator.parseMillis("0")).isZero();
    assertThat(DeadlinePropagator.parseMillis("007")).isEqualTo(7);
    assertThat(DeadlinePropagator.parseMillis("-7")).isEqualTo(-1);
    assertThat(DeadlinePropagator.parseMillis("")).isEqualTo(-1);
  }
}

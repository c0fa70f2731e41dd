package io.mesh4j.controlplane.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.internal.report.LatencyHistogram;
import io.mesh4j.time.ManualTicker;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report book's windows, merges, ageing and staleness, on a manual clock: exact figures. */
class ReportBookTest {
  private final ManualTicker ticker = new ManualTicker();
  private final Map<String, Long> current = new HashMap<>();
  private final ReportBook book = new ReportBook(ticker, Duration.ofSeconds(30),
      s -> current.getOrDefault(s, 0L));

  private static long[] latencies(long micros, long count) {
    long[] l = new long[LatencyHistogram.BUCKETS];
    l[LatencyHistogram.bucket(micros * 1_000)] = count;
    return l;
  }

  private static Report report(String service, String instance, Map<String, Long> revisions,
      Report.Destination... destinations) {
    return new Report(service, instance, "127.0.0.1:1", "dev", "17", "2026-12-07T00:00:00Z", Duration.ofSeconds(10),
        0, 0, true, 5, revisions, List.of(destinations));
  }

  private static Report.Destination orders(long success, long failure, long micros, long retries) {
    return new Report.Destination("orders", retries, 0, "closed", latencies(micros, success + failure),
        List.of(new Report.EndpointTraffic("10.0.0.1:80", success, failure, 0, 0, false, 0)));
  }

  @Test
  void anEdgeAddsUpTheReportsOfEveryInstanceOverTheWindow() {
    book.ingest(report("checkout", "a", Map.of(), orders(580, 20, 1_000, 10)));
    book.ingest(report("checkout", "b", Map.of(), orders(600, 0, 1_000, 0)));
    ticker.advance(Duration.ofSeconds(10));
    book.ingest(report("checkout", "a", Map.of(), orders(0, 0, 1_000, 0)));

    ReportBook.Topology t = book.topology(Duration.ofMinutes(1));
    assertThat(t.edges()).hasSize(1);
    ReportBook.EdgeStats e = t.edges().get(0);
    assertThat(e.from()).isEqualTo("checkout");
    assertThat(e.to()).isEqualTo("orders");
    assertThat(e.attempts()).isEqualTo(1_200);
    assertThat(e.requests()).as("attempts less retries").isEqualTo(1_190);
    assertThat(e.requestsPerSecond()).as("over the 10 s the book has existed, not the whole minute")
        .isEqualTo(1_190 / 10.0);
    assertThat(e.successRate()).isEqualTo(1_180 / 1_200.0);
    assertThat(e.p50Ms()).isEqualTo(1.024); // the bucket [896, 1024) us holds 1 ms
    assertThat(t.nodes()).extracting(ReportBook.Node::service, ReportBook.Node::instances)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("checkout", 2), org.assertj.core.groups.Tuple.tuple(
            "orders", 0));
  }

  @Test
  void countsLeaveTheWindowAsItSlides() {
    book.ingest(report("checkout", "a", Map.of(), orders(60, 0, 2_000, 0)));
    ticker.advance(Duration.ofSeconds(50));
    book.ingest(report("checkout", "a", Map.of(), orders(30, 0, 2_000, 0)));
    assertThat(book.topology(Duration.ofMinutes(1)).edges().get(0).attempts()).isEqualTo(90);

    ticker.advance(Duration.ofSeconds(10)); // the first report's slot is now 60 s old: out of the 1 min window
    assertThat(book.topology(Duration.ofMinutes(1)).edges().get(0).attempts()).isEqualTo(30);
    assertThat(book.topology(Duration.ofMinutes(10)).edges().get(0).attempts()).isEqualTo(90);

    ticker.advance(Duration.ofMinutes(10));
    assertThat(book.topology(Duration.ofMinutes(10)).edges()).isEmpty();
  }

  @Test
  void anInstanceThatStopsReportingAgesOutAfterThreeIntervals() {
    book.ingest(report("checkout", "a", Map.of()));
    book.ingest(report("checkout", "b", Map.of()));
    ticker.advance(Duration.ofSeconds(20));
    book.ingest(report("checkout", "b", Map.of()));
    ticker.advance(Duration.ofSeconds(10));
    assertThat(book.clients()).extracting(c -> c.report().instance()).containsExactly("a", "b");
    ticker.advance(Duration.ofMillis(1));
    assertThat(book.clients()).extracting(c -> c.report().instance()).containsExactly("b");
    assertThat(book.clients().get(0).lastReportAgoMillis()).isEqualTo(10_001);
  }

  @Test
  void aClientBehindThePolicyIsStaleOnlyAfterTheGracePeriod() {
    current.put("orders", 7L);
    book.ingest(report("checkout", "a", Map.of("orders", 7L)));
    assertThat(book.clients().get(0).stale()).isFalse();
    assertThat(book.clients().get(0).behind()).isEmpty();

    current.put("orders", 9L); // a policy change the client has not applied yet
    ticker.advance(Duration.ofSeconds(5));
    book.ingest(report("checkout", "a", Map.of("orders", 7L)));
    for (int i = 0; i < 3; i++) { // it keeps reporting every 10 s, still behind
      ticker.advance(Duration.ofSeconds(10));
      book.ingest(report("checkout", "a", Map.of("orders", 7L)));
    }
    ReportBook.Client c = book.clients().get(0);
    assertThat(c.behind()).containsEntry("orders", new ReportBook.Behind(7, 9, 30_000));
    assertThat(c.stale()).as("exactly the grace: not yet").isFalse();

    ticker.advance(Duration.ofMillis(1));
    assertThat(book.clients().get(0).stale()).isTrue();

    book.ingest(report("checkout", "a", Map.of("orders", 9L)));
    assertThat(book.clients().get(0).stale()).as("caught up").isFalse();
    assertThat(book.clients().get(0).behind()).isEmpty();
  }

  @Test
  void windowsOutsideTenSecondsToTenMinutesAreRefused() {
    assertThatThrownBy(() -> book.topology(Duration.ofSeconds(5))).hasMessageContaining("expected: 10s..10m");
    assertThatThrownBy(() -> book.topology(Duration.ofMinutes(11))).hasMessageContaining("expected: 10s..10m");
    assertThat(book.topology(Duration.ofSeconds(15)).window()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void aServicesSeriesHasOneZeroFilledPointPerSlotOfItsInboundTraffic() {
    book.ingest(report("checkout", "a", Map.of(), orders(100, 0, 1_000, 0)));
    book.ingest(report("cart", "b", Map.of(), orders(50, 50, 1_000, 0)));
    ticker.advance(Duration.ofSeconds(20));
    book.ingest(report("checkout", "a", Map.of(), orders(10, 0, 1_000, 0)));

    List<ReportBook.Point> s = book.series("orders", Duration.ofSeconds(30));
    assertThat(s).extracting(p -> p.stats().attempts()).containsExactly(200L, 0L, 10L);
    assertThat(s.get(0).stats().successRate()).isEqualTo(0.75);
    assertThat(s.get(0).stats().requestsPerSecond()).isEqualTo(20.0);
    assertThat(s.get(1).stats().successRate()).as("nothing answered").isNull();
    assertThat(s.get(2).start()).isEqualTo(s.get(0).start().plusSeconds(20));
    assertThat(book.series("payments", Duration.ofSeconds(30))).extracting(p -> p.stats().attempts())
        .containsExactly(0L, 0L, 0L);
  }

  @Test
  void aServicesEndpointsAddUpTheWindowAndCountTheCallersThatEjectThemNow() {
    Report.EndpointTraffic one = new Report.EndpointTraffic("10.0.0.1:80", 9, 1, 0, 0, true, 1);
    Report.EndpointTraffic two = new Report.EndpointTraffic("10.0.0.2:80", 5, 0, 0, 0, false, 0);
    book.ingest(report("checkout", "a", Map.of(), new Report.Destination("orders", 0, 0, "closed", latencies(2_000, 15),
        List.of(one, two))));
    ticker.advance(Duration.ofSeconds(10));
    book.ingest(report("cart", "b", Map.of(), new Report.Destination("orders", 0, 0, "closed", latencies(2_000, 10),
        List.of(new Report.EndpointTraffic("10.0.0.1:80", 10, 0, 0, 0, false, 0)))));

    assertThat(book.endpoints("orders", Duration.ofMinutes(1))).containsExactly(
        new ReportBook.EndpointView("10.0.0.1:80", 20, 19 / 20.0, 1),
        new ReportBook.EndpointView("10.0.0.2:80", 5, 1.0, 0));
    assertThat(book.endpoints("orders", Duration.ofSeconds(10))).as("the last slot only").containsExactly(
        new ReportBook.EndpointView("10.0.0.1:80", 10, 1.0, 1),
        new ReportBook.EndpointView("10.0.0.2:80", 0, null, 0));
  }

  @Test
  void ratesDivideByTheTimeTheWindowCoversSoFar() {
    ticker.advance(Duration.ofMinutes(5)); // long past the start
    book.ingest(report("checkout", "a", Map.of(), orders(550, 0, 1_000, 0)));
    ticker.advance(Duration.ofSeconds(5)); // half-way through the current slot
    // 1 min window: 5 whole slots before the current one plus its 5 s so far.
    assertThat(book.topology(Duration.ofMinutes(1)).edges().get(0).requestsPerSecond()).isEqualTo(550 / 55.0);
  }

  @Test
  void reportsThatWouldPassACapAreRefusedWholeAndChangeNothing() {
    ReportBook small = new ReportBook(ticker, Duration.ofSeconds(30), s -> 0, null, 2, 1, 100);
    small.ingest(report("checkout", "a", Map.of(), orders(1, 0, 1_000, 0)));
    assertThatThrownBy(() -> small.ingest(report("cart", "b", Map.of(), orders(1, 0, 1_000, 0))))
        .isInstanceOf(ReportBook.TooManyException.class).hasMessageContaining("at most 1 edges");
    assertThat(small.clients()).extracting(c -> c.report().instance()).containsExactly("a");
    small.ingest(report("checkout", "b", Map.of(), orders(1, 0, 1_000, 0)));
    assertThatThrownBy(() -> small.ingest(report("checkout", "c", Map.of())))
        .isInstanceOf(ReportBook.TooManyException.class).hasMessageContaining("2 instances report already");
    assertThat(small.topology(Duration.ofMinutes(1)).edges().get(0).attempts()).isEqualTo(2);
  }

  @Test
  void housekeepingHappensOnIngestWithoutAnyQuery() {
    ReportBook small = new ReportBook(ticker, Duration.ofSeconds(30), s -> 0, null, 1, 10, 100);
    small.ingest(report("checkout", "a", Map.of()));
    ticker.advance(Duration.ofSeconds(40)); // a's three intervals have passed: it is forgotten on the next ingest
    small.ingest(report("checkout", "b", Map.of()));
    assertThat(small.clients()).extracting(c -> c.report().instance()).containsExactly("b");
  }
}

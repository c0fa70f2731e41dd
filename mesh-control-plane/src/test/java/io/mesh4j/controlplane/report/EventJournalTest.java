package io.mesh4j.controlplane.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.controlplane.store.InstanceSpec;
import io.mesh4j.controlplane.store.SqliteStore;
import io.mesh4j.controlplane.store.Store;
import io.mesh4j.internal.report.LatencyHistogram;
import io.mesh4j.time.ManualTicker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Events from a real store's commits (a real SQLite file) and from reports compared with the previous ones. */
class EventJournalTest {
  @TempDir
  Path dir;

  private static List<String> details(EventJournal j) {
    return j.since(0, 1_000).events().stream().map(e -> e.kind() + " " + e.service() + ": " + e.detail()).toList();
  }

  @Test
  void storeCommitsBecomePolicyAndInstanceEvents() throws Exception {
    try (SqliteStore store = SqliteStore.open(dir)) {
      store.putPolicy("payments", "{}", Store.ANY); // before the journal: not an event
      EventJournal j = new EventJournal(store);
      store.addListener(j::onChange);
      long r = store.putPolicy("orders", "{}", Store.ANY);
      String id = store.registerInstance("orders", new InstanceSpec("10.0.0.1", 80, 1, "", Map.of(),
          Duration.ofSeconds(30))).instance().id();
      store.deregisterInstance("orders", id);
      long d = store.deletePolicy("orders", Store.ANY);

      assertThat(details(j)).containsExactly(
          "policy-changed orders: policy of orders set at revision " + r,
          "instance-joined orders: orders instance 10.0.0.1:80 joined (" + id + ")",
          "instance-left orders: orders instance 10.0.0.1:80 left (" + id + ")",
          "policy-deleted orders: policy of orders deleted at revision " + d);
      EventJournal.Page page = j.since(2, 1);
      assertThat(page.events()).extracting(EventJournal.Event::seq).containsExactly(3L);
      assertThat(page.last()).isEqualTo(3);
      assertThat(page.missed()).isFalse();
    }
  }

  @Test
  void onlyTheLastThousandAreKeptAndAReaderThatFellBehindIsTold() throws Exception {
    try (SqliteStore store = SqliteStore.open(dir)) {
      EventJournal j = new EventJournal(store);
      for (int i = 0; i < EventJournal.CAPACITY + 5; i++) {
        j.add("policy-changed", "orders", "#" + i);
      }
      EventJournal.Page page = j.since(0, 10);
      assertThat(page.missed()).isTrue();
      assertThat(page.events().get(0).seq()).isEqualTo(6);
      assertThat(j.since(1_005, 10).events()).isEmpty();
      assertThat(j.since(1_005, 10).last()).isEqualTo(1_005);
      assertThat(j.since(1_005, 10).missed()).isFalse();
      // A reader from before a restart asks past the newest number: told, and given the newest.
      EventJournal.Page restarted = j.since(5_000, 3);
      assertThat(restarted.missed()).isTrue();
      assertThat(restarted.last()).isEqualTo(1_005);
      assertThat(restarted.events()).extracting(EventJournal.Event::seq).containsExactly(1_003L, 1_004L, 1_005L);
    }
  }

  @Test
  void reportsBecomeClientEjectionAndBreakerEvents() throws Exception {
    try (SqliteStore store = SqliteStore.open(dir)) {
      EventJournal j = new EventJournal(store);
      ManualTicker ticker = new ManualTicker();
      ReportBook book = new ReportBook(ticker, Duration.ofSeconds(30), s -> 0, j);
      book.ingest(report(0, false, "closed"));
      book.ingest(report(0, false, "closed"));
      book.ingest(report(1, true, "open"));
      book.ingest(report(1, false, "half_open"));
      book.ingest(new Report("checkout", "i-1", "10.0.0.7:8080", "0.1.0", "17", "2026-12-07T00:00:00Z",
          Duration.ofSeconds(10), 0, 0, true, 1, Map.of(), List.of())); // nothing to say about orders
      book.ingest(report(1, false, "closed")); // against half_open, its last reported state
      ticker.advance(Duration.ofSeconds(31));
      book.clients();

      assertThat(details(j)).containsExactly(
          "client-joined checkout: checkout instance i-1 (10.0.0.7:8080) reports to the control plane (Mesh4j 0.1.0)",
          "breaker-changed orders: checkout instance i-1 (10.0.0.7:8080): circuit breaker of orders closed -> open",
          "endpoint-ejected orders: checkout instance i-1 (10.0.0.7:8080) ejected orders endpoint 10.0.0.1:80"
              + " (ejection #1)",
          "breaker-changed orders: checkout instance i-1 (10.0.0.7:8080): circuit breaker of orders open -> half_open",
          "breaker-changed orders: checkout instance i-1 (10.0.0.7:8080): circuit breaker of orders half_open -> closed",
          "client-left checkout: checkout instance i-1 (10.0.0.7:8080) stopped reporting (last report 31000 ms ago)");
    }
  }

  private static Report report(long timesEjected, boolean ejected, String breaker) {
    return new Report("checkout", "i-1", "10.0.0.7:8080", "0.1.0", "17", "2026-12-07T00:00:00Z",
        Duration.ofSeconds(10), 0, 0, true, 1, Map.of(), List.of(new Report.Destination("orders", 0, 0, breaker,
            new long[LatencyHistogram.BUCKETS], List.of(new Report.EndpointTraffic("10.0.0.1:80", 1, 0, 0, 0, ejected,
                timesEjected)))));
  }
}

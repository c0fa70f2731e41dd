package io.mesh4j.controlplane.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteStoreTest {
  @TempDir Path dir;

  static InstanceSpec spec(String host, int port) {
    return new InstanceSpec(host, port, 1, "", Map.of(), Duration.ofSeconds(30));
  }

  @Test
  void everyChangeTakesTheNextRevisionAndSurvivesReopening() {
    try (SqliteStore s = SqliteStore.open(dir)) {
      assertThat(s.revision()).isZero();
      assertThat(s.putPolicy("a", "{}", Store.ANY)).isEqualTo(1);
      assertThat(s.putPolicy("b", "{\"x\":1}", Store.ANY)).isEqualTo(2);
      Registration r = s.registerInstance("a", spec("10.0.0.1", 80));
      assertThat(r.revision()).isEqualTo(3);
      assertThat(s.deletePolicy("b", 2)).isEqualTo(4);
      assertThat(s.rollbackPolicy("b", 2, 0)).isEqualTo(5);
    }
    try (SqliteStore s = SqliteStore.open(dir)) {
      assertThat(s.revision()).isEqualTo(5);
      ServiceState a = s.service("a");
      assertThat(a.policyJson()).isEqualTo("{}");
      assertThat(a.policyRevision()).isEqualTo(1);
      assertThat(a.endpointsRevision()).isEqualTo(3);
      assertThat(a.instances()).extracting(i -> i.spec().address()).containsExactly("10.0.0.1:80");
      assertThat(s.service("b").policyJson()).isEqualTo("{\"x\":1}");
      assertThat(s.service("b").policyRevision()).isEqualTo(5);
      assertThat(s.policyHistory("b", 10)).extracting(HistoryEntry::action).containsExactly(
          HistoryEntry.Action.ROLLBACK, HistoryEntry.Action.DELETE, HistoryEntry.Action.PUT);
      assertThat(s.policyHistory("b", 10).get(0).sourceRevision()).isEqualTo(2);
      assertThat(s.services()).extracting(ServiceState::name).containsExactly("a", "b");
      assertThat(s.service("nope")).isEqualTo(ServiceState.empty("nope"));
    }
  }

  /**
   * A registration whose commit fails leaves memory as it was: no revision, no instance, and no entry in
   * the instance index (which used to be written before the commit, so a failed registration left an id
   * there that later sweeps acted on). The failure is injected by a real SQLite trigger on the revision
   * row, installed through a second connection to the same file.
   */
  @Test
  void aWriteWhoseCommitFailsLeavesMemoryUntouched() throws Exception {
    try (SqliteStore s = SqliteStore.open(dir)) {
      s.registerInstance("a", spec("h", 1));
      long revision = s.revision();
      java.util.Set<String> ids = s.indexedInstanceIds();
      try (java.sql.Connection other = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("mesh-cp.db"));
           java.sql.Statement st = other.createStatement()) {
        st.execute("CREATE TRIGGER fail_revision BEFORE UPDATE ON meta BEGIN SELECT RAISE(ABORT, 'injected'); END");
        assertThatThrownBy(() -> s.registerInstance("a", spec("h", 2))).isInstanceOf(StoreException.class);
        assertThat(s.revision()).isEqualTo(revision);
        assertThat(s.service("a").instances()).hasSize(1);
        assertThat(s.indexedInstanceIds()).isEqualTo(ids);
        st.execute("DROP TRIGGER fail_revision");
      }
      s.registerInstance("a", spec("h", 2));
      assertThat(s.revision()).isEqualTo(revision + 1);
      assertThat(s.indexedInstanceIds()).hasSize(2);
    }
  }

  @Test
  void conditionalWrites() {
    try (SqliteStore s = SqliteStore.open(dir)) {
      assertThatThrownBy(() -> s.putPolicy("a", "{}", 3)).isInstanceOf(RevisionConflictException.class);
      long r1 = s.putPolicy("a", "{}", 0);
      assertThatThrownBy(() -> s.putPolicy("a", "{}", 0))
          .isInstanceOfSatisfying(RevisionConflictException.class, e -> assertThat(e.current()).isEqualTo(r1));
      long r2 = s.putPolicy("a", "{}", r1);
      assertThatThrownBy(() -> s.deletePolicy("a", r1)).isInstanceOf(RevisionConflictException.class);
      s.deletePolicy("a", r2);
      assertThatThrownBy(() -> s.deletePolicy("a", Store.ANY)).isInstanceOf(NotFoundException.class);
      // After a delete there is no policy: 0 creates again.
      assertThat(s.putPolicy("a", "{}", 0)).isEqualTo(r2 + 2);
      assertThatThrownBy(() -> s.rollbackPolicy("a", r2 + 1, Store.ANY)).isInstanceOf(NotFoundException.class);
      assertThat(s.revision()).isEqualTo(r2 + 2);
    }
  }

  @Test
  void listenersSeeCommittedChangesInOrderAfterTheyAreReadable() {
    try (SqliteStore s = SqliteStore.open(dir)) {
      List<String> seen = new ArrayList<>();
      s.addListener(c -> seen.add(c.revision() + ":" + c.services() + ":" + s.service("a").revision()));
      s.putPolicy("a", "{}", Store.ANY);
      Registration r = s.registerInstance("a", spec("h", 1));
      s.registerInstance("a", spec("h", 1)); // no visible change: no revision, no event
      s.removeInstances(List.of(r.instance().id(), "unknown"));
      assertThat(s.removeInstances(List.of("unknown"))).isZero();
      assertThat(seen).containsExactly("1:[a]:1", "2:[a]:2", "3:[a]:3");
    }
  }

  @Test
  void reRegistrationKeepsTheIdAndTtlChangesDoNotMoveTheRevision() {
    try (SqliteStore s = SqliteStore.open(dir)) {
      Registration a = s.registerInstance("a", spec("h", 1));
      Registration b = s.registerInstance("a", new InstanceSpec("h", 1, 1, "", Map.of(), Duration.ofSeconds(5)));
      assertThat(b.instance().id()).isEqualTo(a.instance().id());
      assertThat(b.created()).isFalse();
      assertThat(s.revision()).isEqualTo(a.revision());
      Registration c = s.registerInstance("a", new InstanceSpec("h", 1, 7, "z", Map.of("k", "v"),
          Duration.ofSeconds(5)));
      assertThat(c.revision()).isEqualTo(a.revision() + 1);
      assertThat(s.service("a").instances().get(0).spec().labels()).containsEntry("k", "v");
    }
    try (SqliteStore s = SqliteStore.open(dir)) {
      InstanceSpec spec = s.service("a").instances().get(0).spec();
      assertThat(spec.ttl()).isEqualTo(Duration.ofSeconds(5));
      assertThat(spec.weight()).isEqualTo(7);
      assertThat(spec.labels()).isEqualTo(Map.of("k", "v"));
    }
  }

  @Test
  void oneProcessPerDataDirectory() {
    try (SqliteStore s = SqliteStore.open(dir)) {
      assertThatThrownBy(() -> SqliteStore.open(dir)).isInstanceOf(StoreException.class)
          .hasMessageContaining("in use");
    }
    SqliteStore.open(dir).close();
  }

  @Test
  void walModeFullSyncAndAVersionedSchema() throws Exception {
    SqliteStore.open(dir).close();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("mesh-cp.db"));
        Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("wal");
      }
      try (ResultSet rs = st.executeQuery("SELECT version FROM schema_version")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(SqliteStore.SCHEMA_VERSION);
      }
      st.execute("UPDATE schema_version SET version = 99");
    }
    assertThatThrownBy(() -> SqliteStore.open(dir)).isInstanceOf(StoreException.class)
        .hasMessageContaining("schema version 99");
  }

  @Test
  void closedStoreRefusesWork() {
    SqliteStore s = SqliteStore.open(dir);
    s.close();
    assertThatThrownBy(() -> s.putPolicy("a", "{}", Store.ANY)).isInstanceOf(StoreException.class);
  }

  @Test
  void everyCommittedWriteIsAuditedWithItsActorAndARefusedOneIsNot() {
    Actor ops = new Actor("ops", "10.0.0.9");
    Actor orders = new Actor("orders", "10.0.0.7");
    try (SqliteStore s = SqliteStore.open(dir)) {
      s.putPolicy("a", "{}", Store.ANY, ops);
      Registration r = s.registerInstance("a", spec("10.0.0.1", 80), orders);
      s.registerInstance("a", spec("10.0.0.1", 80), orders); // the same again: no write, no entry
      assertThatThrownBy(() -> s.putPolicy("a", "{}", 99, ops)).isInstanceOf(RevisionConflictException.class);
      s.deregisterInstance("a", r.instance().id(), orders);
      Registration r2 = s.registerInstance("a", spec("10.0.0.2", 80), orders);
      s.removeInstances(List.of(r2.instance().id()));
      s.rollbackPolicy("a", 1, Store.ANY, ops);
    }
    try (SqliteStore s = SqliteStore.open(dir)) {
      List<AuditEntry> all = s.audit(0, null, 100);
      assertThat(all).extracting(AuditEntry::action).containsExactly("policy.put", "instance.register",
          "instance.deregister", "instance.register", "instance.expire", "policy.rollback");
      assertThat(all).extracting(AuditEntry::actor).containsExactly("ops", "orders", "orders", "orders", "registry",
          "ops");
      assertThat(all).extracting(AuditEntry::revision).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
      assertThat(all.get(0).address()).isEqualTo("10.0.0.9");
      assertThat(all.get(1).detail()).contains("10.0.0.1:80");
      assertThat(all.get(4).detail()).contains("10.0.0.2:80").contains("TTL ran out");
      assertThat(all.get(5).detail()).isEqualTo("to revision 1");
      assertThat(s.audit(all.get(3).seq(), null, 100)).hasSize(2);
      assertThat(s.audit(0, "b", 100)).isEmpty();
      assertThat(s.lastAudit()).isEqualTo(all.get(5).seq());
    }
  }

  @Test
  void aStoreOfSchemaVersionOneIsMigratedAndKeepsItsData() throws Exception {
    // A store written before the audit log (schema 1): its tables as version 1 made them.
    java.nio.file.Files.createDirectories(dir);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("mesh-cp.db"));
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)");
      st.execute("INSERT INTO schema_version (version) VALUES (1)");
      st.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
      st.execute("INSERT INTO meta (key, value) VALUES ('revision', 7)");
      st.execute("CREATE TABLE services (name TEXT PRIMARY KEY, policy_json TEXT, policy_revision INTEGER NOT NULL,"
          + " endpoints_revision INTEGER NOT NULL)");
      st.execute("INSERT INTO services VALUES ('a', '{}', 7, 0)");
      st.execute("CREATE TABLE policy_history (revision INTEGER PRIMARY KEY, service TEXT NOT NULL, action TEXT NOT"
          + " NULL, policy_json TEXT, source_revision INTEGER NOT NULL, at_millis INTEGER NOT NULL)");
      st.execute("CREATE INDEX policy_history_by_service ON policy_history (service, revision)");
      st.execute("INSERT INTO policy_history VALUES (7, 'a', 'put', '{}', 0, 0)");
      st.execute("CREATE TABLE instances (id TEXT PRIMARY KEY, service TEXT NOT NULL, host TEXT NOT NULL,"
          + " port INTEGER NOT NULL, weight INTEGER NOT NULL, zone TEXT NOT NULL, labels_json TEXT NOT NULL,"
          + " ttl_millis INTEGER NOT NULL, revision INTEGER NOT NULL, UNIQUE (service, host, port))");
    }
    try (SqliteStore s = SqliteStore.open(dir)) {
      assertThat(s.revision()).isEqualTo(7);
      assertThat(s.service("a").policyJson()).isEqualTo("{}");
      assertThat(s.audit(0, null, 10)).isEmpty();
      assertThat(s.putPolicy("a", "{\"x\":1}", 7, new Actor("ops", "10.0.0.9"))).isEqualTo(8);
      assertThat(s.audit(0, null, 10)).extracting(AuditEntry::actor).containsExactly("ops");
    }
  }
}

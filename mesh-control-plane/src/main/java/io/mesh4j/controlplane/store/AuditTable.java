package io.mesh4j.controlplane.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The audit log's table in {@link SqliteStore}: one row per write, inserted in the write's own transaction
 * (a write is audited if and only if it is committed). The newest {@link #KEEP} rows are kept.
 *
 * <p>Not thread-safe: used under the store's write lock and read lock, like the store's other statements.
 */
final class AuditTable {
  /** How many entries are kept: older ones are deleted as new ones come. */
  static final long KEEP = 100_000;

  /** Schema version 2. */
  static final List<String> CREATE = List.of(
      "CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, revision INTEGER NOT NULL,"
          + " at_millis INTEGER NOT NULL, actor TEXT NOT NULL, address TEXT NOT NULL, action TEXT NOT NULL,"
          + " service TEXT NOT NULL, detail TEXT NOT NULL)",
      "CREATE INDEX audit_by_service ON audit (service, seq)");

  private final PreparedStatement insert;
  private final PreparedStatement prune;
  private final PreparedStatement selectAll;
  private final PreparedStatement selectService;
  private final PreparedStatement last;
  private final PreparedStatement oldest;
  private long inserted;

  AuditTable(Connection conn) throws SQLException {
    insert = conn.prepareStatement("INSERT INTO audit (revision, at_millis, actor, address, action, service,"
        + " detail) VALUES (?, ?, ?, ?, ?, ?, ?)");
    prune = conn.prepareStatement("DELETE FROM audit WHERE seq <= (SELECT MAX(seq) FROM audit) - ?");
    selectAll = conn.prepareStatement("SELECT seq, revision, at_millis, actor, address, action, service, detail"
        + " FROM audit WHERE seq > ? ORDER BY seq LIMIT ?");
    selectService = conn.prepareStatement("SELECT seq, revision, at_millis, actor, address, action, service,"
        + " detail FROM audit WHERE service = ? AND seq > ? ORDER BY seq LIMIT ?");
    last = conn.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM audit");
    oldest = conn.prepareStatement("SELECT COALESCE(MIN(seq), 0) FROM audit");
  }

  /** Deletes all but the newest {@link #KEEP} entries; part of the caller's transaction. */
  void prune() throws SQLException {
    prune.setLong(1, KEEP);
    prune.executeUpdate();
  }

  /** Adds an entry; part of the caller's transaction. */
  void add(long revision, Actor actor, String action, String service, String detail) throws SQLException {
    insert.setLong(1, revision);
    insert.setLong(2, System.currentTimeMillis());
    insert.setString(3, actor.name());
    insert.setString(4, actor.address());
    insert.setString(5, action);
    insert.setString(6, service);
    insert.setString(7, detail);
    insert.executeUpdate();
    if (++inserted % 1_000 == 0) {
      prune(); // also at every open, so a store restarted often does not grow either
    }
  }

  /** Entries after {@code since}, oldest first, at most {@code limit}; of one service when it is not null. */
  List<AuditEntry> since(long since, String service, int limit) throws SQLException {
    PreparedStatement s = service == null ? selectAll : selectService;
    int i = 1;
    if (service != null) {
      s.setString(i++, service);
    }
    s.setLong(i++, since);
    s.setInt(i, limit);
    List<AuditEntry> out = new ArrayList<>();
    try (ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        out.add(new AuditEntry(rs.getLong(1), rs.getLong(2), Instant.ofEpochMilli(rs.getLong(3)), rs.getString(4),
            rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8)));
      }
    }
    return out;
  }

  /** The oldest entry's number, 0 when there is none. */
  long oldest() throws SQLException {
    try (ResultSet rs = oldest.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  /** The newest entry's number, 0 when there is none. */
  long last() throws SQLException {
    try (ResultSet rs = last.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }
}

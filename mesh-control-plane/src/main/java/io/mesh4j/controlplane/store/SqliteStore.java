package io.mesh4j.controlplane.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link Store}: one SQLite file in the data directory, in WAL mode with
 * {@code synchronous=FULL}, so a commit is on disk (the WAL fsynced) before a write is acknowledged.
 *
 * <p>Concurrency: all database access goes through one connection guarded by {@link #lock}. Writes are
 * rare (operators and instance churn), and one writer is what SQLite supports anyway. Reads of current
 * state never touch the database: the current state of every service lives in {@link #states}
 * (immutable {@link ServiceState} values swapped after each commit), loaded once at open. History reads
 * take the lock.
 *
 * <p>Order within a write, which the watch protocol relies on: SQL statements, then COMMIT (durable),
 * then the in-memory state and revision are published, then listeners are told. A write that fails
 * anywhere before COMMIT returns is rolled back and leaves memory untouched: never a partial write.
 *
 * <p>The data directory holds a lock file so that two control planes cannot share one database.
 */
public final class SqliteStore implements Store {
  /**
   * New at every open: a restart may be a restore from an older backup, whose revisions repeat ones that
   * clients have already seen with other content (see {@link Store#epoch}). 64 random bits, hex.
   */
  private final String epoch = java.util.HexFormat.of().formatHex(
      java.nio.ByteBuffer.allocate(8).putLong(new java.security.SecureRandom().nextLong()).array());
  private static final Logger LOG = LoggerFactory.getLogger(SqliteStore.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final TypeReference<TreeMap<String, String>> LABELS = new TypeReference<>() {};

  /** The schema this code reads and writes; see {@link #MIGRATIONS}. */
  public static final int SCHEMA_VERSION = 2;

  /** MIGRATIONS[i] takes the schema from version i to i + 1. Append only; never edit a shipped one. */
  private static final List<List<String>> MIGRATIONS = List.of(List.of(
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
      "INSERT INTO meta (key, value) VALUES ('revision', 0)",
      "CREATE TABLE services (name TEXT PRIMARY KEY, policy_json TEXT,"
          + " policy_revision INTEGER NOT NULL, endpoints_revision INTEGER NOT NULL)",
      "CREATE TABLE policy_history (revision INTEGER PRIMARY KEY, service TEXT NOT NULL, action TEXT NOT NULL,"
          + " policy_json TEXT, source_revision INTEGER NOT NULL, at_millis INTEGER NOT NULL)",
      "CREATE INDEX policy_history_by_service ON policy_history (service, revision)",
      "CREATE TABLE instances (id TEXT PRIMARY KEY, service TEXT NOT NULL, host TEXT NOT NULL,"
          + " port INTEGER NOT NULL, weight INTEGER NOT NULL, zone TEXT NOT NULL, labels_json TEXT NOT NULL,"
          + " ttl_millis INTEGER NOT NULL, revision INTEGER NOT NULL, UNIQUE (service, host, port))"),
      AuditTable.CREATE);

  private final Path file;
  private final FileChannel lockChannel;
  private final FileLock fileLock;
  private final Connection conn;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, ServiceState> states = new ConcurrentHashMap<>();
  /** instance id -> service, for expiry by id. Written under {@link #lock}. */
  private final Map<String, String> instanceServices = new ConcurrentHashMap<>();
  private final List<Consumer<Change>> listeners = new CopyOnWriteArrayList<>();
  private volatile long revision;
  private volatile boolean closed;

  private final PreparedStatement upsertService;
  private final PreparedStatement insertHistory;
  private final PreparedStatement setRevision;
  private final PreparedStatement upsertInstance;
  private final PreparedStatement deleteInstance;
  private final PreparedStatement selectHistory;
  private final PreparedStatement selectHistoryEntry;
  private final AuditTable audit;

  private SqliteStore(Path file, FileChannel lockChannel, FileLock fileLock, Connection conn) throws SQLException {
    this.file = file;
    this.lockChannel = lockChannel;
    this.fileLock = fileLock;
    this.conn = conn;
    upsertService = conn.prepareStatement("INSERT INTO services (name, policy_json, policy_revision,"
        + " endpoints_revision) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
        + " policy_json = excluded.policy_json, policy_revision = excluded.policy_revision,"
        + " endpoints_revision = excluded.endpoints_revision");
    insertHistory = conn.prepareStatement("INSERT INTO policy_history (revision, service, action, policy_json,"
        + " source_revision, at_millis) VALUES (?, ?, ?, ?, ?, ?)");
    setRevision = conn.prepareStatement("UPDATE meta SET value = ? WHERE key = 'revision'");
    upsertInstance = conn.prepareStatement("INSERT INTO instances (id, service, host, port, weight, zone,"
        + " labels_json, ttl_millis, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        + " weight = excluded.weight, zone = excluded.zone, labels_json = excluded.labels_json,"
        + " ttl_millis = excluded.ttl_millis, revision = excluded.revision");
    deleteInstance = conn.prepareStatement("DELETE FROM instances WHERE id = ?");
    selectHistory = conn.prepareStatement("SELECT revision, service, action, policy_json, source_revision,"
        + " at_millis FROM policy_history WHERE service = ? ORDER BY revision DESC LIMIT ?");
    selectHistoryEntry = conn.prepareStatement("SELECT revision, service, action, policy_json, source_revision,"
        + " at_millis FROM policy_history WHERE service = ? AND revision = ?");
    audit = new AuditTable(conn);
    audit.prune();
    conn.commit();
  }

  /**
   * Opens (creating when needed) the store in {@code dataDir}: {@code mesh-cp.db} plus its WAL, and a
   * lock file.
   *
   * @throws StoreException when the directory is in use by another process, the schema is newer than
   *                        this code, or SQLite cannot be opened
   */
  public static SqliteStore open(Path dataDir) {
    FileChannel channel = null;
    Connection conn = null;
    try {
      Files.createDirectories(dataDir);
      channel = FileChannel.open(dataDir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock fileLock;
      try {
        fileLock = channel.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException e) {
        fileLock = null; // held by this very JVM
      }
      if (fileLock == null) {
        throw new StoreException("data directory " + dataDir.toAbsolutePath()
            + " is in use by another control plane (expected: one process per data directory)");
      }
      Path file = dataDir.resolve("mesh-cp.db");
      conn = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
      try (Statement s = conn.createStatement()) {
        // WAL: readers never block the writer; FULL: the WAL is fsynced at every commit, so an
        // acknowledged write survives kill -9 and power loss.
        try (ResultSet rs = s.executeQuery("PRAGMA journal_mode = WAL")) {
          if (!rs.next() || !"wal".equalsIgnoreCase(rs.getString(1))) {
            throw new StoreException("SQLite refused WAL mode for " + file);
          }
        }
        s.execute("PRAGMA synchronous = FULL");
        s.execute("PRAGMA busy_timeout = 5000");
      }
      conn.setAutoCommit(false);
      migrate(conn);
      SqliteStore store = new SqliteStore(file, channel, fileLock, conn);
      store.load();
      LOG.info("store {} open: schema {}, revision {}, {} services, {} instances, epoch {}", file, SCHEMA_VERSION,
          store.revision, store.states.size(), store.instanceServices.size(), store.epoch);
      return store;
    } catch (SQLException | IOException e) {
      closeQuietly(conn, channel);
      throw new StoreException("cannot open the store in " + dataDir.toAbsolutePath() + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(conn, channel);
      throw e;
    }
  }

  private static void migrate(Connection conn) throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
      int version;
      try (ResultSet rs = s.executeQuery("SELECT version FROM schema_version")) {
        version = rs.next() ? rs.getInt(1) : 0;
      }
      if (version == 0) {
        s.execute("INSERT INTO schema_version (version) VALUES (0)");
      }
      if (version > SCHEMA_VERSION) {
        conn.rollback();
        throw new StoreException("the store has schema version " + version + " (expected: at most "
            + SCHEMA_VERSION + "; it was written by a newer control plane)");
      }
      for (int v = version; v < SCHEMA_VERSION; v++) {
        for (String sql : MIGRATIONS.get(v)) {
          s.execute(sql);
        }
        s.execute("UPDATE schema_version SET version = " + (v + 1));
        LOG.info("store schema migrated to version {}", v + 1);
      }
      conn.commit();
    }
  }

  private void load() throws SQLException {
    Map<String, List<Instance>> byService = new HashMap<>();
    try (Statement s = conn.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE key = 'revision'")) {
        revision = rs.next() ? rs.getLong(1) : 0;
      }
      try (ResultSet rs = s.executeQuery("SELECT id, service, host, port, weight, zone, labels_json, ttl_millis,"
          + " revision FROM instances")) {
        while (rs.next()) {
          Instance i = new Instance(rs.getString(1), rs.getString(2), new InstanceSpec(rs.getString(3), rs.getInt(4),
              rs.getInt(5), rs.getString(6), labels(rs.getString(7)), Duration.ofMillis(rs.getLong(8))),
              rs.getLong(9));
          byService.computeIfAbsent(i.service(), k -> new ArrayList<>()).add(i);
          instanceServices.put(i.id(), i.service());
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT name, policy_json, policy_revision, endpoints_revision"
          + " FROM services")) {
        while (rs.next()) {
          String name = rs.getString(1);
          states.put(name, new ServiceState(name, rs.getString(2), rs.getLong(3),
              sorted(byService.getOrDefault(name, List.of())), rs.getLong(4)));
        }
      }
    }
    conn.commit();
  }

  @Override
  public String epoch() {
    return epoch;
  }

  @Override
  public long revision() {
    return revision;
  }

  @Override
  public ServiceState service(String service) {
    ServiceState s = states.get(service);
    return s != null ? s : ServiceState.empty(service);
  }

  @Override
  public List<ServiceState> services() {
    return states.values().stream().filter(ServiceState::isVisible)
        .sorted(Comparator.comparing(ServiceState::name)).toList();
  }

  @Override
  public List<Instance> instances() {
    return states.values().stream().flatMap(s -> s.instances().stream()).toList();
  }

  @Override
  public long putPolicy(String service, String policyJson, long ifRevision, Actor actor) {
    return write(() -> {
      ServiceState cur = service(service);
      checkPolicyRevision(cur, ifRevision);
      long rev = revision + 1;
      ServiceState next = new ServiceState(service, policyJson, rev, cur.instances(), cur.endpointsRevision());
      saveService(next);
      saveHistory(rev, service, HistoryEntry.Action.PUT, policyJson, 0);
      audit.add(rev, actor, "policy.put", service, policyJson.length() + " bytes");
      return commit(rev, next);
    });
  }

  @Override
  public long deletePolicy(String service, long ifRevision, Actor actor) {
    return write(() -> {
      ServiceState cur = service(service);
      if (cur.policyJson() == null) {
        throw new NotFoundException("service '" + service + "' has no policy");
      }
      checkPolicyRevision(cur, ifRevision);
      long rev = revision + 1;
      ServiceState next = new ServiceState(service, null, rev, cur.instances(), cur.endpointsRevision());
      saveService(next);
      saveHistory(rev, service, HistoryEntry.Action.DELETE, null, 0);
      audit.add(rev, actor, "policy.delete", service, "");
      return commit(rev, next);
    });
  }

  @Override
  public long rollbackPolicy(String service, long toRevision, long ifRevision, Actor actor) {
    return write(() -> {
      HistoryEntry target = readHistoryEntry(service, toRevision)
          .filter(e -> e.policyJson() != null)
          .orElseThrow(() -> new NotFoundException("service '" + service + "' has no policy at revision "
              + toRevision));
      ServiceState cur = service(service);
      checkPolicyRevision(cur, ifRevision);
      long rev = revision + 1;
      ServiceState next = new ServiceState(service, target.policyJson(), rev, cur.instances(),
          cur.endpointsRevision());
      saveService(next);
      saveHistory(rev, service, HistoryEntry.Action.ROLLBACK, target.policyJson(), toRevision);
      audit.add(rev, actor, "policy.rollback", service, "to revision " + toRevision);
      return commit(rev, next);
    });
  }

  @Override
  public List<AuditEntry> audit(long since, String service, int limit) {
    return read(() -> audit.since(since, service, limit));
  }

  @Override
  public long oldestAudit() {
    return read(audit::oldest);
  }

  @Override
  public void recordAudit(Actor actor, String action, String service, String detail) {
    write(() -> {
      audit.add(revision, actor, action, service, detail);
      conn.commit();
      return null;
    });
  }

  @Override
  public long lastAudit() {
    return read(audit::last);
  }

  @Override
  public List<HistoryEntry> policyHistory(String service, int limit) {
    return read(() -> {
      selectHistory.setString(1, service);
      selectHistory.setInt(2, limit);
      List<HistoryEntry> out = new ArrayList<>();
      try (ResultSet rs = selectHistory.executeQuery()) {
        while (rs.next()) {
          out.add(historyEntry(rs));
        }
      }
      return out;
    });
  }

  @Override
  public Optional<HistoryEntry> historyEntry(String service, long revision) {
    return read(() -> readHistoryEntry(service, revision));
  }

  private Optional<HistoryEntry> readHistoryEntry(String service, long rev) throws SQLException {
    selectHistoryEntry.setString(1, service);
    selectHistoryEntry.setLong(2, rev);
    try (ResultSet rs = selectHistoryEntry.executeQuery()) {
      return rs.next() ? Optional.of(historyEntry(rs)) : Optional.empty();
    }
  }

  @Override
  public Registration registerInstance(String service, InstanceSpec spec, Actor actor) {
    return write(() -> {
      ServiceState cur = service(service);
      Instance existing = cur.instances().stream()
          .filter(i -> i.spec().address().equals(spec.address())).findFirst().orElse(null);
      if (existing != null) {
        InstanceSpec old = existing.spec();
        boolean visible = old.weight() != spec.weight() || !old.zone().equals(spec.zone())
            || !old.labels().equals(spec.labels());
        if (!visible && old.ttl().equals(spec.ttl())) {
          return new Registration(existing, false, cur.endpointsRevision());
        }
        // A TTL change alone is stored but is no change watchers see: no new revision.
        long rev = visible ? revision + 1 : revision;
        Instance updated = new Instance(existing.id(), service, spec, visible ? rev : existing.revision());
        saveInstance(updated);
        ServiceState next = withInstances(cur, replace(cur.instances(), existing, updated),
            visible ? rev : cur.endpointsRevision());
        saveService(next);
        audit.add(rev, actor, "instance.register", service, "instance " + existing.id() + " " + spec.address()
            + " updated (weight " + spec.weight() + ", zone '" + spec.zone() + "', ttl " + spec.ttl() + ")");
        if (visible) {
          commit(rev, next);
        } else {
          conn.commit();
          states.put(service, next);
        }
        return new Registration(updated, false, next.endpointsRevision());
      }
      long rev = revision + 1;
      Instance created = new Instance(UUID.randomUUID().toString(), service, spec, rev);
      saveInstance(created);
      List<Instance> list = new ArrayList<>(cur.instances());
      list.add(created);
      ServiceState next = withInstances(cur, list, rev);
      saveService(next);
      audit.add(rev, actor, "instance.register", service, "instance " + created.id() + " " + spec.address());
      commit(rev, next);
      instanceServices.put(created.id(), service); // memory after the commit, as everywhere
      return new Registration(created, true, rev);
    });
  }

  @Override
  public long deregisterInstance(String service, String id, Actor actor) {
    return write(() -> {
      ServiceState cur = service(service);
      Instance existing = cur.instance(id).orElseThrow(() -> new NotFoundException("service '" + service
          + "' has no instance " + id));
      long rev = revision + 1;
      deleteInstance.setString(1, id);
      deleteInstance.executeUpdate();
      List<Instance> list = new ArrayList<>(cur.instances());
      list.remove(existing);
      ServiceState next = withInstances(cur, list, rev);
      saveService(next);
      audit.add(rev, actor, "instance.deregister", service, "instance " + id + " " + existing.spec().address());
      commit(rev, next);
      instanceServices.remove(id);
      return rev;
    });
  }

  @Override
  public long removeInstances(Collection<String> ids) {
    return write(() -> {
      Map<String, List<String>> byService = new TreeMap<>();
      for (String id : ids) {
        String service = instanceServices.get(id);
        if (service != null) {
          byService.computeIfAbsent(service, k -> new ArrayList<>()).add(id);
        }
      }
      if (byService.isEmpty()) {
        return 0L;
      }
      long rev = revision + 1;
      List<ServiceState> next = new ArrayList<>();
      for (Map.Entry<String, List<String>> e : byService.entrySet()) {
        ServiceState cur = service(e.getKey());
        List<Instance> list = new ArrayList<>(cur.instances());
        list.removeIf(i -> e.getValue().contains(i.id()));
        for (String id : e.getValue()) {
          deleteInstance.setString(1, id);
          deleteInstance.executeUpdate();
          String address = cur.instance(id).map(i -> " " + i.spec().address()).orElse("");
          audit.add(rev, Actor.EXPIRY, "instance.expire", e.getKey(), "instance " + id + address + " (TTL ran out)");
        }
        ServiceState n = withInstances(cur, list, rev);
        saveService(n);
        next.add(n);
      }
      commit(rev, next.toArray(ServiceState[]::new));
      byService.values().forEach(l -> l.forEach(instanceServices::remove));
      return rev;
    });
  }

  /** The ids in the instance index (id to service); for tests that check memory follows only commits. */
  java.util.Set<String> indexedInstanceIds() {
    return java.util.Set.copyOf(instanceServices.keySet());
  }

  @Override
  public void addListener(Consumer<Change> listener) {
    listeners.add(listener);
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      closeQuietly(conn, null);
      try {
        fileLock.release();
      } catch (IOException e) {
        LOG.debug("releasing the data directory lock", e);
      }
      closeQuietly(null, lockChannel);
      LOG.info("store {} closed at revision {}", file, revision);
    } finally {
      lock.unlock();
    }
  }

  // ---- internals (all called with the lock held) ----

  private void checkPolicyRevision(ServiceState cur, long ifRevision) {
    if (ifRevision == ANY) {
      return;
    }
    long current = cur.policyJson() == null ? 0 : cur.policyRevision();
    if (current != ifRevision) {
      throw new RevisionConflictException("policy of '" + cur.name() + "'", ifRevision, current);
    }
  }

  private void saveService(ServiceState s) throws SQLException {
    upsertService.setString(1, s.name());
    upsertService.setString(2, s.policyJson());
    upsertService.setLong(3, s.policyRevision());
    upsertService.setLong(4, s.endpointsRevision());
    upsertService.executeUpdate();
  }

  private void saveHistory(long rev, String service, HistoryEntry.Action action, String json, long source)
      throws SQLException {
    insertHistory.setLong(1, rev);
    insertHistory.setString(2, service);
    insertHistory.setString(3, action.jsonName());
    insertHistory.setString(4, json);
    insertHistory.setLong(5, source);
    insertHistory.setLong(6, System.currentTimeMillis());
    insertHistory.executeUpdate();
  }

  private void saveInstance(Instance i) throws SQLException {
    InstanceSpec s = i.spec();
    upsertInstance.setString(1, i.id());
    upsertInstance.setString(2, i.service());
    upsertInstance.setString(3, s.host());
    upsertInstance.setInt(4, s.port());
    upsertInstance.setInt(5, s.weight());
    upsertInstance.setString(6, s.zone());
    try {
      upsertInstance.setString(7, MAPPER.writeValueAsString(new TreeMap<>(s.labels())));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot happen: writing a map of strings", e);
    }
    upsertInstance.setLong(8, s.ttl().toMillis());
    upsertInstance.setLong(9, i.revision());
    upsertInstance.executeUpdate();
  }

  /** Commits, then publishes the new states and revision, then tells listeners. */
  private long commit(long rev, ServiceState... next) throws SQLException {
    setRevision.setLong(1, rev);
    setRevision.executeUpdate();
    conn.commit();
    java.util.Set<String> names = new java.util.HashSet<>();
    for (ServiceState s : next) {
      states.put(s.name(), s);
      names.add(s.name());
    }
    revision = rev;
    Change change = new Change(rev, names);
    for (Consumer<Change> l : listeners) {
      try {
        l.accept(change);
      } catch (RuntimeException e) {
        LOG.error("store listener failed on revision {}", rev, e);
      }
    }
    return rev;
  }

  private interface SqlWork<T> {
    T run() throws SQLException;
  }

  private <T> T write(SqlWork<T> work) {
    lock.lock();
    try {
      ensureOpen();
      try {
        return work.run();
      } catch (SQLException e) {
        rollbackQuietly();
        throw new StoreException("write failed, nothing was written: " + e.getMessage(), e);
      } catch (RuntimeException e) {
        rollbackQuietly();
        throw e;
      }
    } finally {
      lock.unlock();
    }
  }

  private <T> T read(SqlWork<T> work) {
    lock.lock();
    try {
      ensureOpen();
      try {
        return work.run();
      } catch (SQLException e) {
        throw new StoreException("read failed: " + e.getMessage(), e);
      }
    } finally {
      lock.unlock();
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new StoreException("the store is closed");
    }
  }

  private void rollbackQuietly() {
    try {
      conn.rollback();
    } catch (SQLException e) {
      LOG.warn("rollback failed", e);
    }
  }

  private static ServiceState withInstances(ServiceState cur, List<Instance> instances, long endpointsRevision) {
    return new ServiceState(cur.name(), cur.policyJson(), cur.policyRevision(), sorted(instances), endpointsRevision);
  }

  private static List<Instance> replace(List<Instance> list, Instance old, Instance now) {
    List<Instance> out = new ArrayList<>(list);
    out.set(out.indexOf(old), now);
    return out;
  }

  private static List<Instance> sorted(List<Instance> list) {
    List<Instance> out = new ArrayList<>(list);
    out.sort(Comparator.comparing((Instance i) -> i.spec().host()).thenComparingInt(i -> i.spec().port()));
    return out;
  }

  private static HistoryEntry historyEntry(ResultSet rs) throws SQLException {
    return new HistoryEntry(rs.getLong(1), rs.getString(2),
        HistoryEntry.Action.valueOf(rs.getString(3).toUpperCase(java.util.Locale.ROOT)), rs.getString(4),
        rs.getLong(5), Instant.ofEpochMilli(rs.getLong(6)));
  }

  private static Map<String, String> labels(String json) {
    try {
      return MAPPER.readValue(json, LABELS);
    } catch (JsonProcessingException e) {
      throw new StoreException("corrupt labels in the store: " + json, e);
    }
  }

  private static void closeQuietly(Connection conn, FileChannel channel) {
    try {
      if (conn != null) {
        conn.close();
      }
    } catch (SQLException e) {
      LOG.debug("closing the database", e);
    }
    try {
      if (channel != null) {
        channel.close();
      }
    } catch (IOException e) {
      LOG.debug("closing the lock file", e);
    }
  }
}

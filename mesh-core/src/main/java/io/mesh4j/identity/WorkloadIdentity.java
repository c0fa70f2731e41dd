package io.mesh4j.identity;

import io.mesh4j.internal.identity.CsrEncoder;
import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import java.util.logging.Logger;

/**
 * A service's workload identity: a private key made here (it never leaves the process) and a short-lived
 * certificate for it from a {@link CertificateIssuer}, renewed at two thirds of its lifetime with a fresh
 * key, and the trust bundle that came with it.
 *
 * <p>{@link #keyManager()} and {@link #trustManager()} always serve the current certificate and bundle: an
 * {@link SSLContext} built on them ({@link #sslContext()}) needs no rebuilding after a renewal. Connections
 * already open keep the certificate they were made with; new handshakes use the new one.
 *
 * <p>If a renewal fails (issuer down), the current certificate is kept until it expires, {@link #status()}
 * says why, and renewal is tried again at every check. An expired identity presents no certificate (the
 * peer refuses the handshake with a clear alert) and is logged as an error, never a hang.
 *
 * <p>Thread-safe: the key, chain and bundle are one immutable snapshot in a volatile field, swapped whole.
 * The key manager keeps the previous snapshot too, so a handshake that chose the old certificate's alias
 * just before a swap still finds the matching key.
 */
public final class WorkloadIdentity implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(WorkloadIdentity.class.getName());

  private final String service;
  private final CertificateIssuer issuer;
  private final Duration ttl;
  private final Clock clock;
  private final Duration checkEvery;
  private final Object renewLock = new Object();
  private volatile Snapshot current;
  private volatile Snapshot previous;
  private volatile String lastError;
  private volatile long renewals;
  private volatile boolean expiredLogged;
  private final java.util.List<Runnable> renewalListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private ScheduledExecutorService scheduler;
  private boolean closed;

  /** One certificate and everything that goes with it. Immutable. */
  private record Snapshot(String alias, PrivateKey key, X509Certificate[] chain, X509ExtendedTrustManager trust,
      IssuedCertificate issued, Instant renewAt) {}

  private WorkloadIdentity(Builder b) {
    this.service = b.service;
    this.issuer = b.issuer;
    this.ttl = b.ttl;
    this.clock = b.clock;
    this.checkEvery = b.checkEvery;
  }

  /**
   * An identity for {@code service} from {@code issuer}.
   *
   * @param service the service this process runs as (its certificate names it)
   */
  public static Builder builder(String service, CertificateIssuer issuer) {
    return new Builder(service, issuer);
  }

  /** Builds a {@link WorkloadIdentity}. */
  public static final class Builder {
    private final String service;
    private final CertificateIssuer issuer;
    private Duration ttl;
    private Clock clock = Clock.systemUTC();
    private Duration checkEvery = Duration.ofSeconds(5);

    private Builder(String service, CertificateIssuer issuer) {
      this.service = Objects.requireNonNull(service, "service");
      this.issuer = Objects.requireNonNull(issuer, "issuer");
    }

    /** The certificate lifetime to ask for (default: the issuer's, 24 h for the control plane). */
    public Builder ttl(Duration value) {
      ttl = value;
      return this;
    }

    /** The wall clock certificates are judged by (default: the system's, UTC). */
    public Builder clock(Clock value) {
      clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    /** How often {@link #start()}'s background check looks whether renewal is due (default 5 s). */
    public Builder checkEvery(Duration value) {
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("checkEvery: " + value + " (expected: a positive duration)");
      }
      checkEvery = value;
      return this;
    }

    /** Builds the identity; it holds no certificate until {@link WorkloadIdentity#renew()} or {@code start()}. */
    public WorkloadIdentity build() {
      return new WorkloadIdentity(this);
    }
  }

  /**
   * Gets the first certificate (blocking) and starts a daemon thread that renews it when due.
   *
   * @throws IOException when the first certificate cannot be obtained (the message names the service and why)
   */
  public WorkloadIdentity start() throws IOException {
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the identity of service '" + service + "' is closed (expected: a new"
            + " WorkloadIdentity)");
      }
    }
    renew();
    synchronized (this) {
      if (scheduler == null) {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "mesh-identity-" + service);
          t.setDaemon(true);
          return t;
        });
        long ms = checkEvery.toMillis();
        scheduler.scheduleWithFixedDelay(this::renewIfDueQuietly, ms, ms, TimeUnit.MILLISECONDS);
      }
    }
    return this;
  }

  /**
   * Renews when two thirds of the current certificate's lifetime have passed (or there is none).
   *
   * @return whether a new certificate was obtained
   * @throws IOException when renewal was due and failed; the current certificate stays in use
   */
  public boolean renewIfDue() throws IOException {
    synchronized (renewLock) { // decided and done under one lock: two callers never renew twice in a row
      Snapshot s = current;
      Instant now = clock.instant();
      checkExpiry(s, now);
      if (s != null && now.isBefore(s.renewAt)) {
        return false;
      }
      renew();
      return true;
    }
  }

  /**
   * Gets a new certificate now, for a new key.
   *
   * @throws IOException when the issuer cannot be reached, refuses, or returns something unusable
   */
  public void renew() throws IOException {
    synchronized (renewLock) {
      try {
        KeyPair key = newKey();
        Instant asked = clock.instant();
        IssuedCertificate issued = issuer.issue(service, CsrEncoder.encode(key, service), ttl);
        Snapshot next = snapshot(key, issued, asked);
        boolean first = current == null;
        previous = current;
        current = next;
        lastError = null;
        expiredLogged = false;
        if (!first) {
          renewals++;
        }
        LOG.info((first ? "obtained" : "renewed") + " identity " + issued.spiffeId() + ": certificate " + next.alias
            + " valid until " + issued.leaf().getNotAfter().toInstant() + ", renewal due at " + next.renewAt);
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        String why = "certificate for service '" + service + "' not obtained: " + describe(e);
        lastError = why;
        Snapshot s = current;
        if (s != null) {
          LOG.warning(why + "; keeping the current one (valid until " + s.issued.leaf().getNotAfter().toInstant() + ")");
        }
        throw new IOException(why, e); // never a bare ConnectException without a message
      }
    }
    // Outside the lock: a listener (a web server reloading its SSL context) must not hold up renewals.
    for (Runnable l : renewalListeners) {
      try {
        l.run();
      } catch (RuntimeException e) {
        LOG.log(java.util.logging.Level.WARNING, "a renewal listener of service '" + service + "' failed", e);
      }
    }
  }

  private void renewIfDueQuietly() {
    try {
      renewIfDue();
    } catch (IOException | RuntimeException e) {
      // Logged by renew(); tried again at the next check.
    }
  }

  private void checkExpiry(Snapshot s, Instant now) {
    if (s != null && !now.isBefore(s.issued.leaf().getNotAfter().toInstant()) && !expiredLogged) {
      expiredLogged = true;
      LOG.severe("identity " + s.issued.spiffeId() + " expired at " + s.issued.leaf().getNotAfter().toInstant()
          + ": this process presents no certificate until one is obtained (" + (lastError == null
          ? "renewal not tried yet" : lastError) + ")");
    }
  }

  /** Where the identity stands. */
  public IdentityStatus status() {
    Snapshot s = current;
    if (s == null) {
      return new IdentityStatus(null, null, null, null, 0, false, lastError);
    }
    Instant notAfter = s.issued.leaf().getNotAfter().toInstant();
    return new IdentityStatus(s.issued.spiffeId(), s.issued.leaf().getSerialNumber().toString(16), notAfter,
        s.renewAt, renewals, !clock.instant().isBefore(notAfter), lastError);
  }

  /** Presents the current certificate (none once it has expired). */
  public X509ExtendedKeyManager keyManager() {
    return keyManager;
  }

  /** Trusts peers whose certificate chains to the current trust bundle. */
  public X509ExtendedTrustManager trustManager() {
    return trustManager;
  }

  /** A TLS context on {@link #keyManager()} and {@link #trustManager()}: mutual TLS with the mesh's identities. */
  public SSLContext sslContext() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new javax.net.ssl.KeyManager[] {keyManager}, new TrustManager[] {trustManager}, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS context for service '" + service + "': " + e.getMessage(), e);
    }
  }

  /**
   * Trusts a peer only if its chain passes {@link #trustManager()} and it is {@code peerService}: its
   * certificate's URI SAN is {@code spiffe://<this identity's trust domain>/service/<peerService>} (the
   * workload, not the host name, is checked). For a client calling {@code peerService}.
   */
  public X509ExtendedTrustManager trustManagerFor(String peerService) {
    Objects.requireNonNull(peerService, "peerService");
    return new io.mesh4j.internal.identity.PeerIdentityTrustManager(trustManager, () -> {
      Snapshot s = current;
      // (Without an identity the chain check above has already refused: there is no trust bundle.)
      String id = s == null ? "spiffe://unknown/service/" : s.issued.spiffeId().toString();
      return id.substring(0, id.indexOf("/service/") + "/service/".length()) + peerService;
    });
  }

  /** A TLS context presenting this identity and accepting only {@code peerService} (see {@link #trustManagerFor}). */
  public SSLContext sslContextFor(String peerService) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new javax.net.ssl.KeyManager[] {keyManager}, new TrustManager[] {trustManagerFor(peerService)}, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS context for service '" + service + "' calling '" + peerService + "': "
          + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code listener} after every certificate obtained from now on (the first one too, if not yet
   * obtained), on the thread that obtained it: for holders of copies, such as a web server's SSL bundle,
   * that must be told. The managers of this class ({@link #keyManager()}, {@link #trustManager()}) need no
   * listener: they read the current certificate at every handshake. A listener that throws is logged and
   * does not stop the others or the renewal.
   */
  public void addRenewalListener(Runnable listener) {
    renewalListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  private Snapshot snapshot(KeyPair key, IssuedCertificate issued, Instant asked)
      throws GeneralSecurityException, IOException {
    X509Certificate leaf = issued.leaf();
    if (!leaf.getPublicKey().equals(key.getPublic())) {
      throw new IOException("the issuer returned a certificate for another key (expected: the key of the request)");
    }
    String san = io.mesh4j.internal.identity.PeerIdentityTrustManager.uriSan(leaf);
    if (san == null || !san.startsWith("spiffe://") || !san.endsWith("/service/" + service)) {
      throw new IOException("the issuer returned a certificate for " + (san == null ? "no URI name" : "'" + san + "'")
          + " (expected: spiffe://<trust-domain>/service/" + service + ")");
    }
    Snapshot now = current;
    if (now != null && java.util.Collections.disjoint(now.issued.trustBundle(), issued.trustBundle())) {
      // A bundle sharing no root with the one in use is not a rotation (that keeps the old root for an
      // overlap) but another authority: a control plane with another ca/ directory, or someone in between.
      throw new IOException("the trust bundle changed entirely (no root in common with the one in use;"
          + " expected: the same root, or old and new roots together during a rotation; every control-plane"
          + " replica must have the same ca/ directory)");
    }
    KeyStore roots = KeyStore.getInstance("PKCS12");
    roots.load(null, null);
    int i = 0;
    for (X509Certificate root : issued.trustBundle()) {
      roots.setCertificateEntry("root-" + i++, root);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(roots);
    X509ExtendedTrustManager trust = null;
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        trust = x; // its socket and engine overloads keep the JDK's algorithm constraints
      }
    }
    if (trust == null) {
      throw new GeneralSecurityException("no X509ExtendedTrustManager from TrustManagerFactory PKIX");
    }
    // The certificate must chain to the bundle it came with: otherwise peers could not accept it either.
    trust.checkClientTrusted(issued.chain().toArray(X509Certificate[]::new), "EC");
    // Two thirds of the lifetime as received: the issuer back-dates notBefore for clock skew, which must not
    // bring renewal forward (with a short lifetime it would be due at once, and again, and again).
    Instant notAfter = leaf.getNotAfter().toInstant();
    Instant from = asked.isAfter(leaf.getNotBefore().toInstant()) ? asked : leaf.getNotBefore().toInstant();
    Instant renewAt = from.plus(Duration.between(from, notAfter).multipliedBy(2).dividedBy(3));
    return new Snapshot("mesh-" + leaf.getSerialNumber().toString(16), key.getPrivate(),
        issued.chain().toArray(X509Certificate[]::new), trust, issued, renewAt);
  }


  private static KeyPair newKey() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static String describe(Exception e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
  }

  private Snapshot usable() {
    Snapshot s = current;
    return s != null && clock.instant().isBefore(s.issued.leaf().getNotAfter().toInstant()) ? s : null;
  }

  private Snapshot byAlias(String alias) {
    Snapshot s = current;
    if (s != null && s.alias.equals(alias)) {
      return s;
    }
    Snapshot p = previous;
    return p != null && p.alias.equals(alias) ? p : null;
  }

  private final X509ExtendedKeyManager keyManager = new X509ExtendedKeyManager() {
    private String alias(String[] keyTypes) {
      Snapshot s = usable();
      if (s == null) {
        return null;
      }
      for (String t : keyTypes) {
        if (t != null && (t.equals("EC") || t.startsWith("EC_"))) {
          return s.alias;
        }
      }
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
      return alias(keyTypes);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
      return alias(keyTypes);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return alias(new String[] {keyType});
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return alias(new String[] {keyType});
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      String a = alias(new String[] {keyType});
      return a == null ? null : new String[] {a};
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return getClientAliases(keyType, issuers);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      Snapshot s = byAlias(alias);
      return s == null ? null : s.chain.clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      Snapshot s = byAlias(alias);
      return s == null ? null : s.key;
    }
  };

  private final X509ExtendedTrustManager trustManager = new X509ExtendedTrustManager() {
    private X509ExtendedTrustManager trust() throws CertificateException {
      Snapshot s = current;
      if (s == null) {
        throw new CertificateException("service '" + service + "' has no trust bundle yet (expected: a"
            + " certificate obtained first, WorkloadIdentity.start())");
      }
      return s.trust;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      trust().checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      trust().checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      trust().checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      trust().checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      trust().checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      trust().checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      Snapshot s = current;
      return s == null ? new X509Certificate[0] : s.issued.trustBundle().toArray(X509Certificate[]::new);
    }
  };

  /** The certificates in use, for tests and status pages: the current chain (empty before the first). */
  public List<X509Certificate> chain() {
    Snapshot s = current;
    return s == null ? List.of() : List.of(s.chain);
  }
}

package io.mesh4j.controlplane.ca;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane as the mesh's certificate authority: a root key and certificate kept in the data
 * directory (created on first start), and short-lived leaf certificates issued from a client's CSR with
 * a SPIFFE-style URI SAN {@code spiffe://<trust-domain>/service/<name>}.
 *
 * <p>The client keeps its private key: it sends a certificate signing request, and only the public key in
 * it (after checking the request's own signature) goes into the certificate. The subject and SAN are set
 * here from the service the caller is allowed to act for, never copied from the request.
 *
 * <p>Thread-safe: the root key and certificate are immutable after loading; issuing only reads them.
 */
public final class CertificateAuthority {
  private static final Logger LOG = LoggerFactory.getLogger(CertificateAuthority.class);
  static final String KEY_FILE = "root-key.pem";
  static final String CERT_FILE = "root-cert.pem";
  /** How long a created root is valid. */
  static final Duration ROOT_LIFETIME = Duration.ofDays(3650);
  /** The shortest leaf lifetime accepted (short lifetimes make rotation testable). */
  public static final Duration MIN_TTL = Duration.ofSeconds(10);

  private final String trustDomain;
  private final PrivateKey rootKey;
  private final X509Certificate root;
  private final Duration maxTtl;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  private CertificateAuthority(String trustDomain, PrivateKey rootKey, X509Certificate root, Duration maxTtl,
      Clock clock) {
    this.trustDomain = trustDomain;
    this.rootKey = rootKey;
    this.root = root;
    this.maxTtl = maxTtl;
    this.clock = clock;
  }

  /**
   * Loads the root from {@code dir} ({@value #KEY_FILE}, {@value #CERT_FILE}), creating it there on first use
   * (the key readable by the owner only).
   *
   * @param trustDomain the SPIFFE trust domain: lower-case letters, digits, '.', '-' and '_'
   * @param maxTtl      the longest leaf lifetime issued (and the default)
   * @throws IllegalArgumentException for a bad trust domain or lifetime
   * @throws IllegalStateException    when the files exist but cannot be read, or do not belong together
   */
  public static CertificateAuthority loadOrCreate(Path dir, String trustDomain, Duration maxTtl, Clock clock) {
    Objects.requireNonNull(dir, "dir");
    check(trustDomain, maxTtl);
    Path keyFile = dir.resolve(KEY_FILE);
    Path certFile = dir.resolve(CERT_FILE);
    try {
      if (Files.exists(keyFile) != Files.exists(certFile)) {
        Path present = Files.exists(keyFile) ? keyFile : certFile;
        Path absent = Files.exists(keyFile) ? certFile : keyFile;
        throw new IllegalStateException("certificate authority: " + present + " without " + absent + " (an interrupted"
            + " first start, or a partial restore: restore both from the same backup, or remove " + present
            + " to create a new root, which every workload must then trust)");
      }
      if (Files.exists(keyFile)) {
        warnIfReadableByOthers(keyFile);
        PrivateKey key = readKey(keyFile);
        X509Certificate cert = readCertificate(certFile);
        checkPair(key, cert, keyFile, certFile);
        LOG.info("certificate authority: root {} (valid until {}), trust domain {}", cert.getSubjectX500Principal()
            .getName(), cert.getNotAfter().toInstant(), trustDomain);
        return new CertificateAuthority(trustDomain, key, cert, maxTtl, clock);
      }
      Files.createDirectories(dir);
      KeyPair pair = ecKeyPair();
      X509Certificate cert = selfSigned(pair, trustDomain, clock.instant());
      writeAtomically(keyFile, pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(pair.getPrivate(), null)),
          true); // PKCS#8 "PRIVATE KEY", unencrypted: the file is readable by the owner only
      writeAtomically(certFile, pem(cert), false);
      syncDirectory(dir);
      LOG.info("certificate authority: created a root for trust domain {} in {} (valid until {})", trustDomain, dir,
          cert.getNotAfter().toInstant());
      return new CertificateAuthority(trustDomain, pair.getPrivate(), cert, maxTtl, clock);
    } catch (IOException e) {
      throw new UncheckedIOException("certificate authority in " + dir + ": " + e, e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("certificate authority in " + dir + ": " + e, e);
    }
  }

  /**
   * Checks a trust domain and a longest certificate lifetime.
   *
   * @throws IllegalArgumentException naming the bad value and what is expected
   */
  public static void check(String trustDomain, Duration maxTtl) {
    if (trustDomain == null || !trustDomain.matches("[a-z0-9._-]{1,255}")) {
      throw new IllegalArgumentException("trust domain: " + (trustDomain == null ? "missing" : "'" + trustDomain
          + "'") + " (expected: lower-case letters, digits, '.', '-' or '_', e.g. mesh.local)");
    }
    if (maxTtl == null || maxTtl.compareTo(MIN_TTL) < 0 || maxTtl.compareTo(Duration.ofDays(30)) > 0) {
      throw new IllegalArgumentException("certificate lifetime: " + (maxTtl == null ? "missing" : fmt(maxTtl))
          + " (expected: 10s to 30 days; default 24h)");
    }
  }

  /** The trust domain of every identity issued here. */
  public String trustDomain() {
    return trustDomain;
  }

  /** The roots clients and servers trust: today one. */
  public List<X509Certificate> trustBundle() {
    return List.of(root);
  }

  /** The longest (and default) leaf lifetime. */
  public Duration maxTtl() {
    return maxTtl;
  }

  /** {@code spiffe://<trust-domain>/service/<service>}. */
  public URI spiffeId(String service) {
    return URI.create("spiffe://" + trustDomain + "/service/" + service);
  }

  /**
   * Issues a certificate for {@code service} to the holder of the key in {@code csr} (base64 DER or PEM).
   *
   * @param ttl the lifetime asked for; null for {@link #maxTtl()}
   * @throws CsrException when the request is not a PEM PKCS#10 request, its signature does not verify, its
   *     key is too weak, or it names an identity other than {@code service}'s
   */
  public Issued issue(String service, String csr, Duration ttl) {
    Duration lifetime = ttl == null ? maxTtl : ttl;
    if (lifetime.compareTo(MIN_TTL) < 0 || lifetime.compareTo(maxTtl) > 0) {
      throw new CsrException("ttl", fmt(lifetime) + " (expected: " + fmt(MIN_TTL) + " to " + fmt(maxTtl) + ")");
    }
    PKCS10CertificationRequest request = parseCsr(csr);
    PublicKey key;
    try {
      JcaPKCS10CertificationRequest jca = new JcaPKCS10CertificationRequest(request);
      key = jca.getPublicKey();
      if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
        throw new CsrException("csr", "its signature does not verify with the key it carries (expected: a request"
            + " signed by the private key of the certificate to be)");
      }
    } catch (GeneralSecurityException | OperatorCreationException | PKCSException e) {
      throw new CsrException("csr", "its key or signature cannot be read (" + e.getClass().getSimpleName() + ")");
    }
    checkKey(key, request.getSubjectPublicKeyInfo());
    URI id = spiffeId(service);
    checkRequestedNames(request, id);
    Instant now = clock.instant();
    Instant notAfter = now.plus(lifetime);
    if (notAfter.isAfter(root.getNotAfter().toInstant())) {
      notAfter = root.getNotAfter().toInstant();
    }
    try {
      BigInteger serial = new BigInteger(127, random).add(BigInteger.ONE);
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(root, serial, Date.from(now.minusSeconds(60)),
          Date.from(notAfter), new X500Name("CN=" + service + ",O=" + trustDomain), key);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      int usage = KeyUsage.digitalSignature | (key instanceof RSAPublicKey ? KeyUsage.keyEncipherment : 0);
      b.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
          KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(
          GeneralName.uniformResourceIdentifier, id.toString())));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(root));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(rootKey)));
      return new Issued(service, id, cert, pem(cert), trustBundle());
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("issuing a certificate for service '" + service + "' failed: " + e, e);
    }
  }

  /** An issued certificate, with its PEM and the trust bundle it chains to. */
  public record Issued(String service, URI spiffeId, X509Certificate certificate, String pem,
      List<X509Certificate> trustBundle) {}

  /** A certificate signing request that cannot be honoured: names the field and what was expected. */
  public static final class CsrException extends RuntimeException {
    private final String field;

    CsrException(String field, String message) {
      super(message);
      this.field = field;
    }

    public String field() {
      return field;
    }
  }

  /** A PKCS#10 request as base64 DER (what the API takes: JSON strings carry no line breaks) or as PEM. */
  private static PKCS10CertificationRequest parseCsr(String text) {
    String expected = " (expected: a PKCS#10 certificate signing request, base64 DER, e.g. from 'openssl req -new"
        + " -outform DER | base64 -w0')";
    if (text == null || text.isBlank()) {
      throw new CsrException("csr", "missing" + expected);
    }
    if (!text.startsWith("-----BEGIN")) {
      byte[] der;
      try {
        der = java.util.Base64.getDecoder().decode(text);
      } catch (IllegalArgumentException e) {
        throw new CsrException("csr", "not base64" + expected);
      }
      try {
        return new PKCS10CertificationRequest(der);
      } catch (IOException | RuntimeException e) {
        throw new CsrException("csr", "not a certificate signing request (" + e.getClass().getSimpleName() + ")"
            + expected);
      }
    }
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      Object o = parser.readObject();
      if (o instanceof PKCS10CertificationRequest csr) {
        return csr;
      }
      throw new CsrException("csr", (o == null ? "no PEM object" : "a PEM " + o.getClass().getSimpleName())
          + expected);
    } catch (IOException | RuntimeException e) {
      if (e instanceof CsrException c) {
        throw c;
      }
      throw new CsrException("csr", "not a readable certificate signing request (" + e.getClass().getSimpleName()
          + ")" + expected);
    }
  }

  /** Named NIST curves only (no explicit parameters, no small or unusual curves); RSA 2048+ with e >= 65537. */
  private static void checkKey(PublicKey key, org.bouncycastle.asn1.x509.SubjectPublicKeyInfo info) {
    if (key instanceof ECPublicKey) {
      var params = info.getAlgorithm().getParameters();
      if (!(params instanceof org.bouncycastle.asn1.ASN1ObjectIdentifier curve)
          || !(curve.equals(org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp256r1)
          || curve.equals(org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp384r1)
          || curve.equals(org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp521r1))) {
        throw new CsrException("csr", "an EC key on " + (params instanceof org.bouncycastle.asn1.ASN1ObjectIdentifier o
            ? "curve " + o.getId() : "explicit curve parameters") + " (expected: the named curve P-256, P-384 or"
            + " P-521)");
      }
    } else if (key instanceof RSAPublicKey rsa) {
      if (rsa.getModulus().bitLength() < 2048) {
        throw new CsrException("csr", "an RSA key of " + rsa.getModulus().bitLength() + " bits (expected: at least"
            + " 2048)");
      }
      BigInteger e = rsa.getPublicExponent();
      if (!e.testBit(0) || e.compareTo(BigInteger.valueOf(65_537)) < 0) {
        throw new CsrException("csr", "an RSA key with public exponent " + e + " (expected: an odd exponent of at"
            + " least 65537)");
      }
    } else {
      throw new CsrException("csr", "a " + key.getAlgorithm() + " key (expected: EC P-256 or RSA 2048+)");
    }
  }

  /** A request may name its identity (as a URI SAN); if it does, it must be the caller's. */
  private static void checkRequestedNames(PKCS10CertificationRequest csr, URI expected) {
    try {
      checkRequestedNamesOrThrow(csr, expected);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new CsrException("csr", "its requested extensions cannot be read (" + e.getClass().getSimpleName()
          + ")");
    }
  }

  private static void checkRequestedNamesOrThrow(PKCS10CertificationRequest csr, URI expected) {
    for (var attribute : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      for (var value : attribute.getAttributeValues()) {
        Extensions extensions = Extensions.getInstance(value);
        GeneralNames names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
        if (names == null) {
          continue;
        }
        for (GeneralName n : names.getNames()) {
          String asked = n.getName().toString();
          if (n.getTagNo() != GeneralName.uniformResourceIdentifier || !asked.equals(expected.toString())) {
            throw new CsrException("csr", "it asks for the name '" + shorten(asked) + "' (expected: " + expected
                + ", or no name: the identity comes from the service in the path and the token)");
          }
        }
      }
    }
  }

  private static String fmt(Duration d) {
    return io.mesh4j.policy.Durations.format(d);
  }

  private static String shorten(String s) {
    return s.length() > 100 ? s.substring(0, 100) + "..." : s;
  }

  private static KeyPair ecKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    return new JcaContentSignerBuilder(key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA")
        .build(key);
  }

  private static X509Certificate selfSigned(KeyPair pair, String trustDomain, Instant now)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    X500Name name = new X500Name("CN=Mesh4j root CA,O=" + trustDomain);
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(127, new SecureRandom())
        .add(BigInteger.ONE), Date.from(now.minusSeconds(60)), Date.from(now.plus(ROOT_LIFETIME)), name,
        pair.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
    b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(
        GeneralName.uniformResourceIdentifier, "spiffe://" + trustDomain)));
    return new JcaX509CertificateConverter().getCertificate(b.build(signer(pair.getPrivate())));
  }

  private static void checkPair(PrivateKey key, X509Certificate cert, Path keyFile, Path certFile)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    // Sign a test certificate with the key and verify it with the certificate's public key.
    KeyPair probe = ecKeyPair();
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(cert, BigInteger.ONE, new Date(), new Date(),
        new X500Name("CN=probe"), probe.getPublic());
    try {
      new JcaX509CertificateConverter().getCertificate(b.build(signer(key))).verify(cert.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(keyFile + " is not the key of " + certFile + " (expected: the root's own key;"
          + " restore both files from the same backup)");
    }
  }

  private static PrivateKey readKey(Path file) throws IOException {
    try (PEMParser parser = new PEMParser(Files.newBufferedReader(file, StandardCharsets.US_ASCII))) {
      Object o = parser.readObject();
      if (o instanceof PrivateKeyInfo info) {
        return new JcaPEMKeyConverter().getPrivateKey(info);
      }
      if (o instanceof org.bouncycastle.openssl.PEMKeyPair pair) {
        return new JcaPEMKeyConverter().getPrivateKey(pair.getPrivateKeyInfo());
      }
      throw new IllegalStateException(file + ": no private key in it (expected: a PEM PKCS#8 or EC private key)");
    }
  }

  private static X509Certificate readCertificate(Path file) throws IOException, GeneralSecurityException {
    try (PEMParser parser = new PEMParser(Files.newBufferedReader(file, StandardCharsets.US_ASCII))) {
      Object o = parser.readObject();
      if (o instanceof org.bouncycastle.cert.X509CertificateHolder holder) {
        return new JcaX509CertificateConverter().getCertificate(holder);
      }
      throw new IllegalStateException(file + ": no certificate in it (expected: a PEM certificate)");
    }
  }

  /** PEM text of a certificate or key. */
  public static String pem(Object o) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static void warnIfReadableByOthers(Path keyFile) {
    try {
      var perms = Files.getPosixFilePermissions(keyFile);
      if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
        LOG.warn("certificate authority: {} is readable by others ({}); expected: owner only (chmod 600)", keyFile,
            PosixFilePermissions.toString(perms));
      }
    } catch (UnsupportedOperationException | IOException e) {
      LOG.warn("certificate authority: the permissions of {} cannot be checked here ({}); make sure only the"
          + " control plane's user can read it", keyFile, e.toString());
    }
  }

  /** Makes the new directory entries durable (the renames), so a power loss cannot quietly lose the root. */
  private static void syncDirectory(Path dir) {
    try (var ch = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.debug("directory {} not synced: {}", dir, e.toString()); // not possible on every file system
    }
  }

  private static void writeAtomically(Path file, String text, boolean secret) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    if (secret) {
      try {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        Files.createFile(tmp);
        LOG.warn("certificate authority: {} created without owner-only permissions (not a POSIX file system);"
            + " restrict it by other means", file);
      }
    }
    Files.writeString(tmp, text, StandardCharsets.US_ASCII);
    try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}

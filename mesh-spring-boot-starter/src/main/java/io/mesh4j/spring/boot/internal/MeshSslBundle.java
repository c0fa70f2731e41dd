package io.mesh4j.spring.boot.internal;

import io.mesh4j.identity.WorkloadIdentity;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.UUID;
import javax.net.ssl.X509ExtendedKeyManager;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundleKey;
import org.springframework.boot.ssl.SslStoreBundle;

/**
 * A Spring Boot {@link SslBundle} holding a copy of a workload identity's current certificate and key
 * (an in-memory PKCS#12 key store) and its trust bundle (the trust store), for web servers that take
 * key stores. A copy: the starter makes a new one on every renewal and updates the registry with it.
 */
public final class MeshSslBundle {
  static final String ALIAS = "mesh";

  private MeshSslBundle() {}

  /**
   * The bundle of {@code identity} as it is now.
   *
   * @throws IllegalStateException when the identity holds no valid certificate
   */
  public static SslBundle of(WorkloadIdentity identity) {
    X509ExtendedKeyManager km = identity.keyManager();
    String alias = km.chooseServerAlias("EC", null, null);
    if (alias == null) {
      alias = km.chooseServerAlias("RSA", null, null);
    }
    X509Certificate[] chain = alias == null ? null : km.getCertificateChain(alias);
    PrivateKey key = alias == null ? null : km.getPrivateKey(alias);
    if (chain == null || key == null) {
      throw new IllegalStateException("the workload identity " + name(identity) + " holds no valid certificate ("
          + describe(identity) + ")");
    }
    // The password only satisfies the PKCS#12 API: the store never leaves memory.
    String password = UUID.randomUUID().toString();
    try {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry(ALIAS, key, password.toCharArray(), chain);
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      X509Certificate[] roots = identity.trustManager().getAcceptedIssuers();
      for (int i = 0; i < roots.length; i++) {
        trust.setCertificateEntry("mesh-root-" + i, roots[i]);
      }
      return SslBundle.of(SslStoreBundle.of(keys, password, trust), SslBundleKey.of(password, ALIAS));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("SSL bundle for " + name(identity) + ": " + e, e);
    }
  }

  private static String name(WorkloadIdentity identity) {
    var id = identity.status().spiffeId();
    return id != null ? id.toString() : "(no certificate obtained yet)";
  }

  private static String describe(WorkloadIdentity identity) {
    var s = identity.status();
    return s.expired() ? "expired at " + s.notAfter() : s.lastError() != null ? s.lastError() : "none obtained yet";
  }
}

package io.mesh4j.internal.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.junit.jupiter.api.Test;

/** mesh-core writes CSRs by hand (no BouncyCastle there); BouncyCastle, here, must read them. */
class CsrEncoderTest {
  @Test
  void bouncyCastleReadsAndVerifiesWhatTheEncoderWritesForShortAndLongNames() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    for (String name : new String[] {"a", "orders", "a" + "b".repeat(61) + "c"}) { // 63: the longest name
      KeyPair key = g.generateKeyPair();
      PKCS10CertificationRequest csr = new PKCS10CertificationRequest(CsrEncoder.encode(key, name));
      assertThat(csr.getSubject().toString()).isEqualTo("CN=" + name);
      assertThat(new JcaPKCS10CertificationRequest(csr).getPublicKey()).isEqualTo(key.getPublic());
      assertThat(csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key.getPublic()))).isTrue();
    }
    // Lengths on both sides of the one- and two-byte length forms.
    assertThat(CsrEncoder.tlv(0x04, new byte[127])).startsWith(0x04, 127);
    assertThat(CsrEncoder.tlv(0x04, new byte[128])).startsWith(0x04, 0x81, 128);
    assertThat(CsrEncoder.tlv(0x04, new byte[256])).startsWith(0x04, 0x82, 1, 0);
  }
}

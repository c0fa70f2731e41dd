package io.mesh4j.internal.identity;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Signature;

/**
 * Encodes a PKCS#10 certificate signing request (RFC 2986) for an EC P-256 key: a subject of one common name,
 * no attributes, signed with ECDSA over SHA-256.
 *
 * <p>Written here rather than taken from BouncyCastle: the request has one fixed shape, the JDK supplies the
 * two hard parts (the public key's DER {@code SubjectPublicKeyInfo} and the DER ECDSA signature), and the
 * rest is five DER elements; mesh-core stays free of an 8 MB dependency that every user would carry. The
 * control plane parses what this writes with BouncyCastle (CertificateAuthorityIT, WorkloadIdentityIT).
 */
public final class CsrEncoder {
  /** id-at-commonName, 2.5.4.3. */
  private static final byte[] CN = {0x06, 0x03, 0x55, 0x04, 0x03};
  /** ecdsa-with-SHA256, 1.2.840.10045.4.3.2. */
  private static final byte[] ECDSA_SHA256 = {0x06, 0x08, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x04, 0x03, 0x02};

  private CsrEncoder() {}

  /** The DER of a request for {@code key}'s public key with subject {@code CN=commonName}, signed by its private key. */
  public static byte[] encode(KeyPair key, String commonName) throws GeneralSecurityException {
    byte[] version = tlv(0x02, new byte[] {0});
    byte[] subject = tlv(0x30, tlv(0x31, tlv(0x30, CN, tlv(0x0C, commonName.getBytes(StandardCharsets.UTF_8)))));
    byte[] publicKey = key.getPublic().getEncoded(); // X.509 SubjectPublicKeyInfo, DER
    byte[] attributes = tlv(0xA0, new byte[0]);
    byte[] info = tlv(0x30, version, subject, publicKey, attributes);
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(key.getPrivate());
    signer.update(info);
    byte[] signature = signer.sign(); // DER ECDSA-Sig-Value
    byte[] bits = new byte[signature.length + 1]; // BIT STRING: no unused bits
    System.arraycopy(signature, 0, bits, 1, signature.length);
    return tlv(0x30, info, tlv(0x30, ECDSA_SHA256), tlv(0x03, bits));
  }

  /** One DER element: tag, definite length, the parts' bytes in order. */
  static byte[] tlv(int tag, byte[]... parts) {
    int length = 0;
    for (byte[] p : parts) {
      length += p.length;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(length + 6);
    out.write(tag);
    if (length < 0x80) {
      out.write(length);
    } else if (length < 0x100) {
      out.write(0x81);
      out.write(length);
    } else if (length < 0x10000) {
      out.write(0x82); // requests are far below 64 KB
      out.write(length >>> 8);
      out.write(length & 0xFF);
    } else {
      throw new IllegalArgumentException("a DER element of " + length + " bytes (expected: under 64 KB)");
    }
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}

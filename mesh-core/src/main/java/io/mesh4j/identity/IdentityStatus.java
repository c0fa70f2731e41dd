package io.mesh4j.identity;

import java.net.URI;
import java.time.Instant;

/**
 * Where a {@link WorkloadIdentity} stands.
 *
 * @param spiffeId  the identity held, null before the first certificate
 * @param serial    the current certificate's serial number (hex), null before the first
 * @param notAfter  when it expires, null before the first
 * @param renewsAt  when it is renewed (two thirds of its lifetime), null before the first
 * @param renewals  certificates obtained after the first
 * @param expired   whether the current certificate has expired (the identity presents nothing then)
 * @param lastError why the last attempt to get a certificate failed, or null after a success
 */
public record IdentityStatus(URI spiffeId, String serial, Instant notAfter, Instant renewsAt, long renewals,
    boolean expired, String lastError) {}

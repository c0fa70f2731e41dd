package io.mesh4j.controlplane.store;

import java.time.Instant;

/**
 * One write, as the audit log keeps it.
 *
 * @param seq      its number in the log: increasing, never reused
 * @param revision the store revision the write made (for an instance whose TTL alone changed, the
 *                 revision current then)
 * @param at       when it was committed (the control plane's wall clock)
 * @param actor    who made it: the token's name
 * @param address  the client's address; empty for the control plane's own writes
 * @param action   {@code policy.put}, {@code policy.delete}, {@code policy.rollback},
 *                 {@code instance.register}, {@code instance.deregister} or {@code instance.expire}
 * @param service  the service written
 * @param detail   what was written, for people: {@code instance 0ad4... 10.0.0.1:8080}, {@code to revision 12}
 */
public record AuditEntry(long seq, long revision, Instant at, String actor, String address, String action,
    String service, String detail) {}

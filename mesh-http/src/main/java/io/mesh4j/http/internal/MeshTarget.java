package io.mesh4j.http.internal;

/**
 * The mesh service an attempt was routed to, as a request tag: what {@link MeshTls#peerCheck()} checks
 * the connection's peer against. One instance per service, cached by the attempt layer.
 *
 * @param service the service name
 */
public record MeshTarget(String service) {}

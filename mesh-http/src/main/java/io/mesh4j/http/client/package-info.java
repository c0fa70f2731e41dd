/**
 * Annotated client interfaces: declare a service's HTTP API as a Java interface
 * ({@link io.mesh4j.http.client.MeshClient}, {@link io.mesh4j.http.client.GET}, {@link io.mesh4j.http.client.Path},
 * ...) and let {@link io.mesh4j.http.client.MeshClients} implement it on a mesh-enabled OkHttp client.
 *
 * <p>Public: the annotations, {@link io.mesh4j.http.client.MeshClients}, {@link io.mesh4j.http.client.BodyCodec}
 * and {@link io.mesh4j.http.client.JacksonCodec}, {@link io.mesh4j.http.client.MeshResponse}, the exceptions
 * ({@link io.mesh4j.http.client.HttpStatusException}, {@link io.mesh4j.http.client.MeshClientException},
 * {@link io.mesh4j.http.client.InvalidClientException}) and {@link io.mesh4j.http.MethodPolicy}, the request
 * tag carrying a method's policy overrides to the mesh's layers. Everything else here is package-private.
 * See docs/annotated-clients.md.
 */
package io.mesh4j.http.client;

package io.mesh4j.spring.boot;

import io.mesh4j.Mesh;

/**
 * Changes the {@link Mesh.Builder} the starter has configured from the {@code mesh.*} properties, just
 * before it builds the application's {@link Mesh}: for what has no property, such as the mesh's event
 * log, its ticker or its random source.
 *
 * <pre>{@code
 * @Bean
 * MeshBuilderCustomizer meshEvents(EventSink sink) {
 *   return builder -> builder.eventLog(line -> sink.publish("orders-1", line));
 * }
 * }</pre>
 *
 * Every bean of this type is applied, in {@link org.springframework.core.annotation.Order} order. Not
 * applied when the application defines its own {@code Mesh} bean.
 */
@FunctionalInterface
public interface MeshBuilderCustomizer {
  /** Changes {@code builder}; called once, before {@link Mesh.Builder#build()}. */
  void customize(Mesh.Builder builder);
}

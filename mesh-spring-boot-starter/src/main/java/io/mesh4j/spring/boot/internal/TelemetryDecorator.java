package io.mesh4j.spring.boot.internal;

import io.opentelemetry.api.OpenTelemetry;

/**
 * Changes the {@link OpenTelemetry} the auto-configured {@code Mesh} is built with (the application's
 * {@code OpenTelemetry} bean, else the no-op one). The starter's Micrometer support is one; its type
 * names no Micrometer class, so the {@code Mesh} bean can ask for these whether or not Micrometer is on
 * the class path. Internal to the starter: not a stable extension point.
 */
@FunctionalInterface
public interface TelemetryDecorator {
  /** The {@link OpenTelemetry} to use instead of {@code openTelemetry} (or {@code openTelemetry} itself). */
  OpenTelemetry decorate(OpenTelemetry openTelemetry);
}

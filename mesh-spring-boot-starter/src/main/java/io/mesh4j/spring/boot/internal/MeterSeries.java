package io.mesh4j.spring.boot.internal;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The Micrometer meters of one OpenTelemetry instrument, one per attribute set: the OpenTelemetry
 * attribute keys become the Micrometer tag keys, the values their text ({@code mesh.service=orders},
 * {@code http.response.status_code=503}; an array value is joined with commas).
 *
 * <p>Hot path: one {@link ConcurrentHashMap#get} keyed by the caller's {@link Attributes}, which are
 * immutable and cache their hash code, so a measurement on a known series allocates nothing here and
 * does not go through the registry's own lookup (which builds a {@code Meter.Id} and its tags every
 * time). Only a new attribute set converts to {@link Tags} and registers a meter.
 *
 * <p>Registration happens outside the map's locks: two threads meeting a new attribute set at once both
 * register, and Micrometer hands both the same meter for the same name and tags, so whichever lands in
 * the map is the meter the registry holds. The mesh's attribute sets are bounded (service, endpoint,
 * outcome, status...); as a guard against an unbounded set, past {@value #MAX_CACHED} series an
 * instrument stops caching and leaves the lookup to the registry.
 *
 * <p>A meter removed from the registry by the application ({@code registry.remove}, {@code clear()})
 * stays in this cache, and what is recorded into it afterwards is not published.
 *
 * @param <M> the Micrometer meter type
 */
final class MeterSeries<M> {
  /** Series kept per instrument; more are still recorded, through the registry's own lookup. */
  static final int MAX_CACHED = 2048;

  private final ConcurrentHashMap<Attributes, M> byAttributes = new ConcurrentHashMap<>();
  private final Function<Tags, M> register;

  /** {@code register} makes (or finds) the meter of the instrument for the given tags. */
  MeterSeries(Function<Tags, M> register) {
    this.register = register;
  }

  /** The meter for {@code attributes} (null: no attributes). */
  M get(Attributes attributes) {
    Attributes key = attributes == null ? Attributes.empty() : attributes;
    M meter = byAttributes.get(key);
    if (meter != null) {
      return meter;
    }
    M created = register.apply(tags(key));
    if (byAttributes.size() >= MAX_CACHED) {
      return created;
    }
    M raced = byAttributes.putIfAbsent(key, created);
    return raced != null ? raced : created;
  }

  /** Number of cached series (for tests). */
  int size() {
    return byAttributes.size();
  }

  /** The Micrometer tags of {@code attributes}: same keys, values as text. */
  static Tags tags(Attributes attributes) {
    if (attributes.isEmpty()) {
      return Tags.empty();
    }
    TagArray tags = new TagArray(attributes.size());
    attributes.forEach(tags);
    return Tags.of(tags.tags);
  }

  /** Fills an array in one pass over the attributes, without an intermediate map. */
  private static final class TagArray implements BiConsumer<AttributeKey<?>, Object> {
    final Tag[] tags;
    int next;

    TagArray(int size) {
      this.tags = new Tag[size];
    }

    @Override
    public void accept(AttributeKey<?> key, Object value) {
      tags[next++] = Tag.of(key.getKey(), text(value));
    }

    private static String text(Object value) {
      if (value instanceof List<?> list) {
        StringBuilder joined = new StringBuilder();
        for (Object o : list) {
          if (joined.length() > 0) {
            joined.append(',');
          }
          joined.append(o);
        }
        return joined.toString();
      }
      return String.valueOf(value);
    }
  }
}

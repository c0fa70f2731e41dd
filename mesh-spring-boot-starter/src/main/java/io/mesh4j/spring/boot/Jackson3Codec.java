package io.mesh4j.spring.boot;

import io.mesh4j.http.client.BodyCodec;
import java.lang.reflect.Type;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON bodies of {@code @MeshClient} interfaces through a Jackson 3 {@link JsonMapper}, the mapper
 * Spring Boot 4 applications carry, so that its modules and settings apply to the mesh clients too.
 * The readers and writers of each declared type are made once and kept. Jackson 3's exceptions are
 * unchecked; the client proxy reports decoding failures as {@code IOException}s naming the method.
 */
public final class Jackson3Codec implements BodyCodec {
  private final JsonMapper mapper;
  private final ConcurrentMap<Type, ObjectReader> readers = new ConcurrentHashMap<>();
  private final ConcurrentMap<Type, ObjectWriter> writers = new ConcurrentHashMap<>();

  /** A codec on the application's mapper (used as it is configured; not modified). */
  public Jackson3Codec(JsonMapper mapper) {
    this.mapper = Objects.requireNonNull(mapper, "mapper");
  }

  /** The mapper this codec uses. */
  public JsonMapper mapper() {
    return mapper;
  }

  @Override
  public String contentType() {
    return "application/json";
  }

  @Override
  public byte[] encode(Object value, Type type) {
    ObjectWriter writer = writers.get(type);
    if (writer == null) {
      writer = writers.computeIfAbsent(type, t -> mapper.writerFor(mapper.constructType(t)));
    }
    return writer.writeValueAsBytes(value);
  }

  @Override
  public Object decode(byte[] body, Type type) {
    ObjectReader reader = readers.get(type);
    if (reader == null) {
      reader = readers.computeIfAbsent(type, t -> mapper.readerFor(mapper.constructType(t)));
    }
    return reader.readValue(body);
  }

  @Override
  public String toString() {
    return "Jackson3Codec[" + mapper.getClass().getName() + "]";
  }
}

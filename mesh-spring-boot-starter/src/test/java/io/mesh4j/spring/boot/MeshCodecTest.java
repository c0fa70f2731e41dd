package io.mesh4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mesh4j.http.client.BodyCodec;
import io.mesh4j.http.client.JacksonCodec;
import io.mesh4j.http.client.MeshClients;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The body codec of {@code @MeshClient} interfaces follows the application's mapper. */
class MeshCodecTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class));

  record Order(int id, String item) {}

  @Test
  void jackson3JsonMapperWhenThereIsOne() {
    JsonMapper mapper = JsonMapper.builder().build();
    ObjectMapper jackson2 = new ObjectMapper();
    runner.withBean(JsonMapper.class, () -> mapper).withBean(ObjectMapper.class, () -> jackson2).run(ctx -> {
      BodyCodec codec = ctx.getBean(MeshClients.class).codec();
      assertThat(codec).isInstanceOf(Jackson3Codec.class);
      assertThat(((Jackson3Codec) codec).mapper()).isSameAs(mapper);
    });
  }

  @Test
  void jackson2ObjectMapperOtherwise() {
    ObjectMapper jackson2 = new ObjectMapper();
    runner.withBean(ObjectMapper.class, () -> jackson2).run(ctx -> {
      BodyCodec codec = ctx.getBean(MeshClients.class).codec();
      assertThat(codec).isInstanceOf(JacksonCodec.class);
      assertThat(((JacksonCodec) codec).mapper()).isSameAs(jackson2);
    });
  }

  @Test
  void standardCodecWithoutAMapper() {
    runner.run(ctx -> {
      BodyCodec codec = ctx.getBean(MeshClients.class).codec();
      assertThat(codec).isInstanceOf(JacksonCodec.class);
      // The standard codec: a tolerant reader.
      assertThat(codec.decode("{\"id\":1,\"item\":\"a\",\"new\":2}".getBytes(StandardCharsets.UTF_8), Order.class))
          .isEqualTo(new Order(1, "a"));
    });
  }

  @Test
  void withoutJackson3OnTheClassPath() {
    ObjectMapper jackson2 = new ObjectMapper();
    runner.withClassLoader(new FilteredClassLoader("tools.jackson"))
        .withBean(ObjectMapper.class, () -> jackson2)
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(((JacksonCodec) ctx.getBean(MeshClients.class).codec()).mapper()).isSameAs(jackson2);
        });
  }

  @Test
  void theApplicationsCodecWins() {
    BodyCodec own = JacksonCodec.standard();
    runner.withBean(BodyCodec.class, () -> own).withBean(JsonMapper.class, () -> JsonMapper.builder().build())
        .run(ctx -> assertThat(ctx.getBean(MeshClients.class).codec()).isSameAs(own));
  }

  @Test
  void jackson3CodecRoundTrip() throws Exception {
    Jackson3Codec codec = new Jackson3Codec(JsonMapper.builder().build());
    assertThat(codec.contentType()).isEqualTo("application/json");
    byte[] json = codec.encode(new Order(7, "tea"), Order.class);
    assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"id\":7").contains("\"item\":\"tea\"");
    assertThat(codec.decode(json, Order.class)).isEqualTo(new Order(7, "tea"));
    java.lang.reflect.Type listOfOrders = new TypeReference<List<Order>>() {}.getType();
    Object list = codec.decode("[{\"id\":1,\"item\":\"a\"}]".getBytes(StandardCharsets.UTF_8), listOfOrders);
    assertThat(list).isEqualTo(List.of(new Order(1, "a")));
    assertThat(codec.decode("{\"a\":1}".getBytes(StandardCharsets.UTF_8), Map.class)).isEqualTo(Map.of("a", 1));
  }
}

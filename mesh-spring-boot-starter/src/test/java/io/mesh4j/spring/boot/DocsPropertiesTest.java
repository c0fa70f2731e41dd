package io.mesh4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.BindResult;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ByteArrayResource;

/**
 * Keeps docs/spring-boot.md true to the starter:
 *
 * <ul>
 *   <li>the table after {@code <!-- mesh-properties -->} lists every {@code mesh.*} property of the generated
 *       {@code META-INF/spring-configuration-metadata.json}, no other, with the same defaults;</li>
 *   <li>every {@code yaml} block after {@code <!-- mesh-yaml -->} binds to {@link MeshProperties} with no
 *       unknown {@code mesh.*} key and passes the checks the starter makes at start-up
 *       ({@link MeshSettings#of}).</li>
 * </ul>
 */
class DocsPropertiesTest {
  private static final Pattern MARKER = Pattern.compile("^\\s*<!--\\s*(mesh-properties|mesh-yaml)\\s*-->\\s*$");

  private static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("mvnw"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("a directory holding mvnw above the working directory").isNotNull();
    return dir;
  }

  private static List<String> doc() throws IOException {
    return Files.readAllLines(repositoryRoot().resolve("docs/spring-boot.md"), StandardCharsets.UTF_8);
  }

  @Test
  void propertiesTableMatchesTheMetadata() throws IOException {
    Map<String, JsonNode> metadata = new LinkedHashMap<>();
    try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("generated spring-configuration-metadata.json on the class path").isNotNull();
      for (JsonNode p : new ObjectMapper().readTree(in).path("properties")) {
        String name = p.path("name").asText();
        if (name.startsWith("mesh.") && !name.equals("mesh.services")) {
          metadata.put(name, p);
        }
      }
    }
    List<String> lines = doc();
    Map<String, String> documented = new LinkedHashMap<>();
    int tables = 0;
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = MARKER.matcher(lines.get(i));
      if (!m.matches() || !m.group(1).equals("mesh-properties")) {
        continue;
      }
      tables++;
      List<String> header = cells(lines.get(i + 1));
      int name = header.indexOf("property");
      int dflt = header.indexOf("default");
      for (int j = i + 3; j < lines.size() && lines.get(j).startsWith("|"); j++) {
        List<String> row = cells(lines.get(j));
        documented.put(row.get(name).replace("`", ""), row.get(dflt));
      }
    }
    assertThat(tables).as("a <!-- mesh-properties --> table in docs/spring-boot.md").isEqualTo(1);

    List<String> problems = new ArrayList<>();
    for (String p : metadata.keySet()) {
      if (!documented.containsKey(p)) {
        problems.add(p + ": in the starter's metadata but not in the docs/spring-boot.md table");
      }
    }
    for (Map.Entry<String, String> e : documented.entrySet()) {
      String p = e.getKey();
      if (p.matches("mesh\\.services\\.<name>\\.(endpoints|policy)")) {
        continue; // map values: not listed one by one in the metadata; bound by the YAML check below
      }
      JsonNode meta = metadata.get(p);
      if (meta == null) {
        problems.add(p + ": documented, but the starter has no such property");
        continue;
      }
      JsonNode dflt = meta.get("defaultValue");
      if (dflt != null && !e.getValue().contains("`" + dflt.asText() + "`")) {
        problems.add(p + ": documented default " + e.getValue() + ", the starter's is " + dflt.asText());
      }
    }
    assertThat(problems).as(String.join("\n", problems)).isEmpty();
  }

  @Test
  void yamlExamplesBindAndPassTheStartUpChecks() throws IOException {
    List<String> lines = doc();
    List<String> problems = new ArrayList<>();
    int checked = 0;
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = MARKER.matcher(lines.get(i));
      if (!m.matches() || !m.group(1).equals("mesh-yaml")) {
        continue;
      }
      String where = "docs/spring-boot.md:" + (i + 1);
      int j = i + 1;
      while (lines.get(j).isBlank()) {
        j++;
      }
      if (!lines.get(j).trim().equals("```yaml")) {
        problems.add(where + ": mesh-yaml is not followed by a ```yaml block");
        continue;
      }
      StringBuilder yaml = new StringBuilder();
      for (j++; !lines.get(j).trim().equals("```"); j++) {
        yaml.append(lines.get(j)).append('\n');
      }
      checked++;
      StandardEnvironment env = new StandardEnvironment();
      for (PropertySource<?> ps : new YamlPropertySourceLoader().load(where,
          new ByteArrayResource(yaml.toString().getBytes(StandardCharsets.UTF_8)))) {
        env.getPropertySources().addFirst(ps);
      }
      try {
        Binder binder = new Binder(ConfigurationPropertySources.get(env));
        BindResult<MeshProperties> bound = binder.bind("mesh", Bindable.of(MeshProperties.class),
            new NoUnboundElementsBindHandler(BindHandler.DEFAULT));
        MeshSettings.of(bound.orElseGet(MeshProperties::new), env);
      } catch (RuntimeException e) {
        problems.add(where + ": " + e + (e.getCause() != null ? " caused by " + e.getCause() : ""));
      }
    }
    assertThat(problems).as(String.join("\n", problems)).isEmpty();
    assertThat(checked).as("yaml examples checked").isGreaterThanOrEqualTo(2);
  }

  private static List<String> cells(String row) {
    String t = row.trim();
    t = t.substring(1, t.endsWith("|") ? t.length() - 1 : t.length());
    List<String> out = new ArrayList<>();
    for (String c : t.split("\\|", -1)) {
      out.add(c.trim());
    }
    return out;
  }
}

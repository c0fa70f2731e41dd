package io.mesh4j.http.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;

class PathTemplateTest {
  private static String expand(String template, String... values) {
    List<String> problems = new ArrayList<>();
    PathTemplate t = PathTemplate.parse(template, "m()", problems);
    assertThat(problems).isEmpty();
    HttpUrl.Builder url = HttpUrl.get("http://svc/").newBuilder();
    t.expand(url, values);
    return url.build().encodedPath();
  }

  private static List<String> problems(String template) {
    List<String> problems = new ArrayList<>();
    assertThat(PathTemplate.parse(template, "m()", problems)).isNull();
    return problems;
  }

  @Test
  void literalsVariablesAndMixedSegments() {
    assertThat(expand("")).isEqualTo("/");
    assertThat(expand("/")).isEqualTo("/");
    assertThat(expand("/orders")).isEqualTo("/orders");
    assertThat(expand("/orders/")).isEqualTo("/orders/");
    assertThat(expand("/orders/{id}", "7")).isEqualTo("/orders/7");
    assertThat(expand("/files/{name}.{ext}", "a b", "txt")).isEqualTo("/files/a%20b.txt");
    assertThat(expand("/a/{x}/b/{x}", "1")).isEqualTo("/a/1/b/1");
    assertThat(expand("/literal%20space/{v}", "é")).isEqualTo("/literal%20space/%C3%A9");
  }

  @Test
  void valuesCannotAddSegmentsOrQueries() {
    assertThat(expand("/f/{v}", "a/b?c=d#e")).isEqualTo("/f/a%2Fb%3Fc%3Dd%23e");
    assertThat(expand("/f/{v}", "%2e%2e")).isEqualTo("/f/%252e%252e");
    assertThat(expand("/f/{v}", "...")).isEqualTo("/f/...");
    for (String dot : new String[] {".", "..", ""}) {
      assertThatThrownBy(() -> expand("/f/{v}", dot)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void encodesAllButUnreserved() {
    assertThat(PathTemplate.encodeSegment("AZaz09-._~")).isEqualTo("AZaz09-._~");
    assertThat(PathTemplate.encodeSegment("a+b;c,d:e@f&g=h$i!j'k(l)m*n")).isEqualTo(
        "a%2Bb%3Bc%2Cd%3Ae%40f%26g%3Dh%24i%21j%27k%28l%29m%2An");
    assertThat(PathTemplate.encodeSegment("日本")).isEqualTo("%E6%97%A5%E6%9C%AC");
  }

  @Test
  void invalidTemplates() {
    assertThat(problems("/a/{b")).containsExactly("m(): path \"/a/{b\" has a '{' without '}'");
    assertThat(problems("/a/b}")).containsExactly("m(): path \"/a/b}\" has a '}' without '{'");
    assertThat(problems("/a/{1x}")).containsExactly(
        "m(): path \"/a/{1x}\" has an invalid variable {1x} (expected: a letter, then letters, digits, '_' or '-')");
    assertThat(problems("/a/../b")).containsExactly("m(): path \"/a/../b\" has a dot segment '..'");
    assertThat(problems("a")).containsExactly("m(): path \"a\" must start with '/'");
  }
}

package io.mesh4j.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
  @TempDir Path dir;

  @Test
  void refusesToStartWithoutTokensUnlessTold() {
    assertThat(Main.run("--data-dir", dir.toString(), "--port", "0", "--host", "127.0.0.1")).isEqualTo(2);
    assertThat(Main.run("serve", "--data-dir", dir.toString(), "--admin-token", "short", "--client-token",
        "also-short")).isEqualTo(2);
    assertThat(Main.run("--bogus")).isEqualTo(2);
    assertThat(Main.run("--help")).isZero();
    assertThat(Main.run("meshctl", "--help")).isZero();
  }

  @Test
  void badTokensFileAndLimitsAreUsageErrorsThatNameTheProblemAndNoSecret() throws Exception {
    Path tokens = dir.resolve("tokens.json");
    java.nio.file.Files.writeString(tokens, "{\"tokens\": [{\"name\": \"ops\", \"role\": \"admin\","
        + " \"token\": \"short-secret\"}]}");
    String err = stderrOf("--data-dir", dir.toString(), "--port", "0", "--host", "127.0.0.1", "--tokens-file",
        tokens.toString());
    assertThat(err).contains("tokens file " + tokens + ": tokens[0].token: too short").doesNotContain("short-secret");
    assertThat(stderrOf("--data-dir", dir.toString(), "--no-auth", "--tokens-file", tokens.toString()))
        .contains("--no-auth and tokens: give one or the other");
    assertThat(stderrOf("--data-dir", dir.toString(), "--no-auth", "--first-request-timeout", "soon"))
        .contains("--first-request-timeout: ").contains("(expected: a duration such as 10s or 500ms, or 0s)");
    assertThat(stderrOf("--data-dir", dir.toString(), "--no-auth", "--max-connections-per-address", "-1"))
        .contains("--max-connections-per-address: -1 (expected: >= 1, or 0 for no cap)");
  }

  /** Runs the command line, expects exit code 2, and returns what it printed on stderr. */
  private static String stderrOf(String... args) {
    java.io.PrintStream before = System.err;
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      assertThat(Main.run(args)).isEqualTo(2);
    } finally {
      System.setErr(before);
    }
    return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
  }
}

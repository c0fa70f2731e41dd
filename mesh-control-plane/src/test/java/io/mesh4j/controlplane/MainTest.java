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
}

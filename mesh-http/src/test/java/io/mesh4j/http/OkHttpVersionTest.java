package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import okhttp3.OkHttp;
import org.junit.jupiter.api.Test;

/** The build runs mesh-http's tests twice, on OkHttp 5 and on 4.12; this proves which one ran. */
class OkHttpVersionTest {
  @Test
  void runsOnTheOkHttpLineThisExecutionIsFor() {
    String expected = System.getProperty("mesh4j.expectedOkHttp", "");
    assertThat(OkHttp.VERSION).startsWith(expected);
  }
}

package io.mesh4j.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.policy.RetryPolicy;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;
import org.junit.jupiter.api.Test;

/** The bookkeeping of one hedged call's attempts, driven callback by callback. */
class HedgerRaceTest {
  private final OkHttpClient client = new OkHttpClient();
  private final Request request = new Request.Builder().url("http://orders/x").build();

  /**
   * An answer that arrives after the caller took the result is closed on arrival. Before, a second good
   * answer arriving after {@code result()} became the new winner, which nobody read or closed: its
   * connection leaked.
   */
  @Test
  void anAnswerArrivingAfterTheResultWasTakenIsClosed() throws Exception {
    Hedger.Race race = new Hedger.Race(RetryPolicy.DEFAULT, null);
    Call first = client.newCall(request);
    Call backup = client.newCall(request);
    race.start(first, new AttemptScope());
    race.start(backup, new AttemptScope());

    Tracked a = response(200);
    race.onResponse(first, a.response);
    try (Response won = race.result(true)) {
      assertThat(won).isSameAs(a.response);
      Tracked late = response(200);
      race.onResponse(backup, late.response);
      assertThat(late.closed).as("the late answer is closed").isTrue();
      assertThat(a.closed).as("the winner is the caller's to close").isFalse();
    }
    race.cancelLosers();
    assertThat(a.closed).isTrue(); // closed by the caller's try-with-resources
  }

  /** An answer that arrives after the race was torn down (the caller gave up) is closed too. */
  @Test
  void anAnswerArrivingAfterTheRaceEndedIsClosed() {
    Hedger.Race race = new Hedger.Race(RetryPolicy.DEFAULT, null);
    Call first = client.newCall(request);
    race.start(first, new AttemptScope());
    race.cancelLosers();
    Tracked late = response(200);
    race.onResponse(first, late.response);
    assertThat(late.closed).isTrue();
  }

  private static final class Tracked {
    Response response;
    boolean closed;
  }

  private Tracked response(int code) {
    Tracked t = new Tracked();
    BufferedSource source = Okio.buffer(new ForwardingSource(new Buffer().writeUtf8("ok")) {
      @Override
      public void close() throws java.io.IOException {
        t.closed = true;
        super.close();
      }
    });
    ResponseBody body = new ResponseBody() {
      @Override
      public MediaType contentType() {
        return null;
      }

      @Override
      public long contentLength() {
        return 2;
      }

      @Override
      public BufferedSource source() {
        return source;
      }
    };
    t.response = new Response.Builder().request(request).protocol(Protocol.HTTP_1_1).code(code).message("OK")
        .body(body).build();
    return t;
  }
}

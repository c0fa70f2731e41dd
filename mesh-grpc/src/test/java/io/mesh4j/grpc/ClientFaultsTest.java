package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status.Code;
import io.mesh4j.balance.RandomSource;
import org.junit.jupiter.api.Test;

class ClientFaultsTest {
  @Test
  void httpStatusesMapOntoGrpcCodes() {
    assertThat(ClientFaults.codeFor(503)).isEqualTo(Code.UNAVAILABLE);
    assertThat(ClientFaults.codeFor(502)).isEqualTo(Code.UNAVAILABLE);
    assertThat(ClientFaults.codeFor(504)).isEqualTo(Code.DEADLINE_EXCEEDED);
    assertThat(ClientFaults.codeFor(429)).isEqualTo(Code.RESOURCE_EXHAUSTED);
    assertThat(ClientFaults.codeFor(500)).isEqualTo(Code.INTERNAL);
    assertThat(ClientFaults.codeFor(501)).isEqualTo(Code.UNIMPLEMENTED);
    assertThat(ClientFaults.codeFor(400)).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(ClientFaults.codeFor(401)).isEqualTo(Code.UNAUTHENTICATED);
    assertThat(ClientFaults.codeFor(403)).isEqualTo(Code.PERMISSION_DENIED);
    assertThat(ClientFaults.codeFor(404)).isEqualTo(Code.NOT_FOUND);
    assertThat(ClientFaults.codeFor(409)).isEqualTo(Code.ABORTED);
    assertThat(ClientFaults.codeFor(418)).isEqualTo(Code.FAILED_PRECONDITION);
    assertThat(ClientFaults.codeFor(599)).isEqualTo(Code.INTERNAL);
    assertThat(ClientFaults.codeFor(200)).isEqualTo(Code.UNKNOWN);
  }

  @Test
  void drawHonoursTheEdges() {
    RandomSource random = RandomSource.seeded(1);
    for (int i = 0; i < 1000; i++) {
      assertThat(ClientFaults.draw(0, random)).isFalse();
      assertThat(ClientFaults.draw(100, random)).isTrue();
    }
  }
}

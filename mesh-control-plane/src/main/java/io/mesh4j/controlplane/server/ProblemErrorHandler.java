package io.mesh4j.controlplane.server;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers itself (a malformed request line, headers too large, an ambiguous URI, 503 during
 * shutdown) come out as problem+json too, so a client has one error format to read. No stack traces.
 */
final class ProblemErrorHandler extends ErrorHandler {
  /**
   * Every method gets the problem document. Jetty's default writes a body only for GET, POST and HEAD,
   * so a PUT or DELETE it refused itself (an ambiguous path such as {@code /v1/services/%2e%2e/policy},
   * a 1 MB header, an overflowing Content-Length), or an HTTP/2 preface ({@code PRI}), got an empty 400.
   */
  @Override
  public boolean errorPageForMethod(String method) {
    return true;
  }

  @Override
  protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
      Callback callback) {
    String title = org.eclipse.jetty.http.HttpStatus.getMessage(code);
    Problem p = new Problem(code, title == null ? "Error" : title, message == null || message.isBlank() ? null
        : message);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, Exchange.PROBLEM_JSON);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    // Jetty answers these before reading the request's body, and closes the connection when a body was
    // left unread: say so, or a client reuses the connection and its next request finds it closed
    // ("header parser received no bytes"; found by ApiFuzzIT: POST /%00 with a body, then any request).
    response.getHeaders().put(HttpHeader.CONNECTION, "close");
    if (code == 503) {
      response.getHeaders().put("Retry-After", "1");
    }
    response.write(true, ByteBuffer.wrap(Json.bytes(p.toJson())), callback);
  }
}

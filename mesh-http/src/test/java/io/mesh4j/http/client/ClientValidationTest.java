package io.mesh4j.http.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.Mesh;
import io.mesh4j.http.MeshOkHttp;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Interfaces that cannot be clients are refused at creation, every problem named with its method. */
class ClientValidationTest {
  private static Mesh mesh;
  private static MeshClients clients;

  @BeforeAll
  static void clients() {
    mesh = Mesh.builder().openTelemetry(OpenTelemetry.noop()).build();
    clients = MeshClients.builder(MeshOkHttp.client(mesh, new OkHttpClient())).build();
  }

  @AfterAll
  static void close() {
    mesh.close();
  }

  private static List<String> problems(Class<?> type) {
    try {
      clients.create(type);
    } catch (InvalidClientException e) {
      assertThat(e.getMessage()).startsWith(type.getName() + " is not a valid @MeshClient interface");
      for (String p : e.problems()) {
        assertThat(e.getMessage()).contains("\n  - " + p);
      }
      return e.problems();
    }
    throw new AssertionError(type + " was accepted");
  }

  @MeshClient("orders")
  interface Broken {
    @GET("/orders/{id}")
    String get(long id) throws IOException;

    @POST("/orders")
    String create(@Body String a, @Body String b);

    @GET("/orders/{id}")
    Future<String> future(@Path("id") long id);

    @GET("/orders/{id}")
    String unbound(@Path("name") String name, @Path("id") long id);

    @GET("/orders")
    String bodyOnGet(@Body String body);

    String noVerb();

    @GET("/a")
    @POST("/a")
    String twoVerbs();

    @HEAD("/orders/{id}")
    String headWithBody(@Path("id") long id);

    @GET("/orders")
    String queries(@Query List<String> noName, @Query("m") Map<String, String> namedMap,
        @Query Map<Integer, String> intKeys, @Path("x") @Query("x") String both);

    @GET("/orders")
    String badHeader(@Header("Bad Name") String v);

    @GET("/orders")
    <T> T typeVariable();

    @GET("/orders")
    CompletableFuture<?> wildcard();

    @SuppressWarnings("rawtypes")
    @GET("/orders")
    MeshResponse raw();

    @GET("/orders/{id")
    String unclosed();

    @GET("orders")
    String relative();

    @GET("/orders?x=1")
    String query();

    @GET("/orders")
    @Timeout("soon")
    String badTimeout();

    @GET("/orders")
    @Retry(maxAttempts = 11, retryOn = 200)
    String badRetry();

    @POST("/orders")
    @Hedge
    String hedgedPost(@Body String body);

    @GET("/orders")
    @Hedge(delay = "p100")
    String badHedge();

    @GET("/orders")
    default String annotatedDefault() {
      return "";
    }
  }

  @Test
  void everyProblemOfTheInterfaceIsReportedWithItsMethod() {
    List<String> problems = problems(Broken.class);

    assertThat(problems).contains(
        "Broken.get(long): {id} in \"/orders/{id}\" has no @Path(\"id\") parameter",
        "Broken.get(long): parameter 1 (long) has none of @Path, @Query, @Header, @Body",
        "Broken.create(String, String): has more than one @Body parameter",
        "Broken.future(long): returns java.util.concurrent.Future<java.lang.String>, which is not supported "
            + "(expected: void, T, MeshResponse<T>, CompletableFuture<T> or CompletableFuture<MeshResponse<T>>, "
            + "T a concrete type)",
        "Broken.unbound(String, long): parameter 1 (String): @Path(\"name\") names no {name} in \"/orders/{id}\"",
        "Broken.bodyOnGet(String): parameter 1 (String): @Body on a GET (GET and HEAD requests have no body)",
        "Broken.noVerb(): has no HTTP method annotation (expected one of @GET, @POST, @PUT, @PATCH, @DELETE, @HEAD)",
        "Broken.twoVerbs(): has more than one HTTP method annotation [@GET, @POST]",
        "Broken.queries(List, Map, Map, String): parameter 1 (List): @Query needs a name (only a Map parameter "
            + "goes without)",
        "Broken.queries(List, Map, Map, String): parameter 2 (Map): @Query(\"m\") on a Map (expected: @Query "
            + "without a name; the map's keys are the names)",
        "Broken.queries(List, Map, Map, String): parameter 3 (Map): @Query map must have String keys, not "
            + "java.util.Map<java.lang.Integer, java.lang.String>",
        "Broken.queries(List, Map, Map, String): parameter 4 (String) has more than one of @Path, @Query, "
            + "@Header, @Body",
        "Broken.badHeader(String): parameter 1 (String): @Header(\"Bad Name\") is not a valid header name",
        "Broken.unclosed(): path \"/orders/{id\" has a '{' without '}'",
        "Broken.relative(): path \"orders\" must start with '/'",
        "Broken.query(): path \"/orders?x=1\" has a query or fragment (use @Query parameters)",
        "Broken.badTimeout(): @Timeout(\"soon\") is not a duration > 0 (e.g. \"500ms\", \"2s\")",
        "Broken.badRetry(): @Retry maxAttempts: 11 (expected: 1..10, or 0 for the service's)",
        "Broken.hedgedPost(String): @Hedge on a POST needs @Idempotent (only idempotent requests are hedged: a "
            + "backup sends the request twice)",
        "Broken.annotatedDefault(): is a default method with an HTTP method annotation (a default method runs its "
            + "own body; remove one or the other)");
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("Broken.headWithBody(long): returns "
        + "java.lang.String, but a HEAD response has no body"));
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("Broken.typeVariable(): returns T, which has a "
        + "type variable or wildcard"));
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("Broken.wildcard(): returns "
        + "java.util.concurrent.CompletableFuture<?>, which has a type variable or wildcard"));
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("Broken.raw(): returns a raw MeshResponse"));
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("Broken.badHedge(): @Hedge(delay = \"p100\""));
  }

  interface NotAnnotated {
    @GET("/x")
    String get();
  }

  @MeshClient("Not A Host")
  interface BadService {
    @GET("/x")
    String get();
  }

  @MeshClient(value = "orders", path = "v1/")
  interface BadPrefix {
    @GET("/x")
    String get();
  }

  @MeshClient("orders")
  interface Generic<T> {
    @GET("/x")
    String get();
  }

  @Test
  void interfaceLevelProblems() {
    assertThat(problems(NotAnnotated.class)).containsExactly(
        "NotAnnotated: has no @MeshClient(\"<service>\") annotation");
    assertThat(problems(BadService.class)).containsExactly(
        "BadService: @MeshClient(\"Not A Host\") is not a service name (expected: a host name in lower case, "
            + "e.g. \"orders\")");
    assertThat(problems(BadPrefix.class)).containsExactly(
        "BadPrefix: @MeshClient(path = \"v1/\") must start with '/' and not end with it (e.g. \"/v1\")");
    assertThat(problems(Generic.class)).hasSize(1).first().asString().startsWith("Generic: has type parameters [T]");
    assertThatThrownBy(() -> clients.create(String.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("java.lang.String is not an interface (expected: an interface annotated @MeshClient)");
  }

  @Test
  void aClientWithoutTheMeshIsRefused() {
    assertThatThrownBy(() -> MeshClients.builder(new OkHttpClient()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MeshOkHttp.client(mesh, base)");
  }

  @MeshClient(value = "orders", path = "/v1")
  interface Fine {
    @GET
    String root();

    @GET("/orders/{id}/lines/{id}")
    String twice(@Path("id") String id);

    @PUT("/orders/{id}.json")
    @Timeout("PT0.5S")
    @Retry
    @Hedge(enabled = false)
    CompletableFuture<MeshResponse<Void>> put(@Path("id") String id, @Body Object body, @Header("X") Object x);

    boolean equals(Object other);

    static String helper() {
      return "";
    }
  }

  @Test
  void aValidInterfaceWithPrefixRepeatedVariablesAndRedeclaredObjectMethods() {
    Fine fine = clients.create(Fine.class);
    assertThat(fine).isEqualTo(fine);
  }
}

package io.mesh4j.spring.boot;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.context.annotation.Import;

/**
 * Scans for {@link io.mesh4j.http.client.MeshClient @MeshClient} interfaces and registers each as a bean
 * made by the context's {@link io.mesh4j.http.client.MeshClients}.
 *
 * <pre>{@code
 * @SpringBootApplication
 * @EnableMeshClients(basePackages = "com.example.clients")
 * class ShopApplication { }
 * }</pre>
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Documented
@Import(MeshClientsRegistrar.class)
public @interface EnableMeshClients {
  /** Packages to scan. Empty (with {@link #basePackageClasses} empty too): the annotated class's package. */
  String[] basePackages() default {};

  /** Classes whose packages are scanned. */
  Class<?>[] basePackageClasses() default {};
}

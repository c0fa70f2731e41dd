package io.mesh4j.spring.boot;

import io.mesh4j.http.client.MeshClient;
import io.mesh4j.http.client.MeshClients;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.springframework.beans.factory.BeanClassLoaderAware;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.annotation.AnnotatedBeanDefinition;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.ResourceLoaderAware;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.util.ClassUtils;

/**
 * Registers one bean per {@link MeshClient @MeshClient} interface found by {@link EnableMeshClients}.
 * The bean is named after the interface's fully qualified name and made, when first needed, by the
 * context's {@link MeshClients} bean.
 */
final class MeshClientsRegistrar
    implements ImportBeanDefinitionRegistrar, EnvironmentAware, ResourceLoaderAware, BeanFactoryAware,
    BeanClassLoaderAware {
  private Environment environment;
  private ResourceLoader resourceLoader;
  private BeanFactory beanFactory;
  private ClassLoader classLoader;

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public void setResourceLoader(ResourceLoader resourceLoader) {
    this.resourceLoader = resourceLoader;
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  @Override
  public void setBeanClassLoader(ClassLoader classLoader) {
    this.classLoader = classLoader;
  }

  @Override
  public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
    Map<String, Object> attributes = metadata.getAnnotationAttributes(EnableMeshClients.class.getName());
    Set<String> packages = new LinkedHashSet<>();
    if (attributes != null) {
      for (String p : (String[]) attributes.get("basePackages")) {
        if (!p.isBlank()) {
          packages.add(p.trim());
        }
      }
      for (Class<?> c : (Class<?>[]) attributes.get("basePackageClasses")) {
        packages.add(c.getPackageName());
      }
    }
    if (packages.isEmpty()) {
      packages.add(ClassUtils.getPackageName(metadata.getClassName()));
    }

    ClassPathScanningCandidateComponentProvider scanner =
        new ClassPathScanningCandidateComponentProvider(false, environment) {
          @Override
          protected boolean isCandidateComponent(AnnotatedBeanDefinition definition) {
            // The default accepts only concrete classes; client declarations are interfaces.
            return definition.getMetadata().isInterface() && definition.getMetadata().isIndependent();
          }
        };
    scanner.setResourceLoader(resourceLoader);
    scanner.addIncludeFilter(new AnnotationTypeFilter(MeshClient.class));
    for (String p : packages) {
      for (BeanDefinition candidate : scanner.findCandidateComponents(p)) {
        String className = candidate.getBeanClassName();
        if (className == null || registry.containsBeanDefinition(className)) {
          continue;
        }
        register(registry, className, ClassUtils.resolveClassName(className, classLoader));
      }
    }
  }

  private <T> void register(BeanDefinitionRegistry registry, String name, Class<T> type) {
    RootBeanDefinition definition = new RootBeanDefinition(type,
        () -> beanFactory.getBean(MeshClients.class).create(type));
    definition.setDescription("@MeshClient " + type.getName());
    registry.registerBeanDefinition(name, definition);
  }
}

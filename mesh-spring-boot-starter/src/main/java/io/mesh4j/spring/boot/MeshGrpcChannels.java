package io.mesh4j.spring.boot;

import io.grpc.ManagedChannel;
import io.mesh4j.Mesh;
import io.mesh4j.grpc.MeshGrpc;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.FactoryBean;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Registers one gRPC {@link ManagedChannel} bean per service listed in {@code mesh.grpc.channels}: the
 * channel {@code MeshGrpc.channel(mesh, service)} makes (the {@code mesh:///} resolver, the mesh load
 * balancer, the service's policy as gRPC service config, the mesh client interceptor). The bean for
 * {@code payment} is named {@code paymentGrpcChannel} ({@code order-history} → {@code orderHistoryGrpcChannel}),
 * made when first needed and shut down with the context.
 */
final class MeshGrpcChannels implements BeanDefinitionRegistryPostProcessor {
  /** What a service name in {@code mesh.grpc.channels} may look like (the control plane's service-name rule). */
  private static final Pattern SERVICE = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private final Environment environment;

  MeshGrpcChannels(Environment environment) {
    this.environment = environment;
  }

  /** The bean name of the channel for {@code service}. */
  static String beanName(String service) {
    StringBuilder b = new StringBuilder(service.length() + 11);
    boolean upper = false;
    for (char c : service.toCharArray()) {
      if (c == '-') {
        upper = b.length() > 0;
      } else {
        b.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return b.append("GrpcChannel").toString();
  }

  @Override
  public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
    List<String> services = Binder.get(environment)
        .bind("mesh.grpc.channels", Bindable.listOf(String.class)).orElse(List.of());
    for (String raw : services) {
      String service = raw.trim();
      if (!SERVICE.matcher(service).matches()) {
        throw new InvalidMeshPropertiesException(List.of("mesh.grpc.channels: '" + raw + "' is not a service name"
            + " (expected 1-63 lower-case letters, digits or '-', not starting or ending with '-', e.g. payment)"));
      }
      String name = beanName(service);
      if (registry.containsBeanDefinition(name)) {
        continue; // the application's own bean of that name wins
      }
      RootBeanDefinition def = new RootBeanDefinition(ChannelFactory.class);
      def.getConstructorArgumentValues().addIndexedArgumentValue(0, service);
      registry.registerBeanDefinition(name, def);
    }
  }

  /** Makes the channel from the context's {@link Mesh} on first use; shuts it down with the context. */
  static final class ChannelFactory implements FactoryBean<ManagedChannel>, DisposableBean,
      org.springframework.beans.factory.BeanFactoryAware {
    private final String service;
    private BeanFactory beans;
    private ManagedChannel channel;

    ChannelFactory(String service) {
      this.service = service;
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
      this.beans = beanFactory;
    }

    @Override
    public synchronized ManagedChannel getObject() {
      if (channel == null) {
        channel = MeshGrpc.channel(beans.getBean(Mesh.class), service);
      }
      return channel;
    }

    @Override
    public Class<?> getObjectType() {
      return ManagedChannel.class;
    }

    @Override
    public synchronized void destroy() throws InterruptedException {
      if (channel != null) {
        channel.shutdown();
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      }
    }
  }
}

package io.mesh4j.controlplane.store;

/**
 * The result of registering an instance.
 *
 * @param instance the stored instance (an address registered again keeps its id)
 * @param created  false when the address was already registered and was updated in place
 * @param revision the service's endpoints revision after the registration
 */
public record Registration(Instance instance, boolean created, long revision) {}

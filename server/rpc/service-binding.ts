import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";

/**
 * A service and its implementation, as Connect's `router.service(service, impl)`
 * takes them: the one form in which every protocol of the server (Connect's
 * handler, the REST transcoder) is given its services. A method the
 * implementation leaves out answers `unimplemented`.
 */
export interface ServiceBinding {
  readonly service: DescService;
  readonly impl: Partial<ServiceImpl<DescService>>;
}

/**
 * A `ServiceBinding` whose implementation is type-checked against its own
 * service (an object typed for one service does not assign to the generic type).
 */
export function serviceBinding<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): ServiceBinding {
  return { service, impl: impl as Partial<ServiceImpl<DescService>> };
}

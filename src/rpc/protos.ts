// The service definitions, embedded in the binary as text and parsed once.
// (protoLoader.loadSync reads from disk, which fails inside the compiled binary.)
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import gatewayProto from "../../proto/ministripe/v1/gateway.proto" with { type: "text" };
import bankProto from "../../proto/ministripe/v1/bank.proto" with { type: "text" };
import coordinatorProto from "../../proto/ministripe/v1/coordinator.proto" with { type: "text" };
import healthProto from "../../proto/grpc/health/v1/health.proto" with { type: "text" };
import { loaderOptions } from "./wire/loader-options";
import type { ProtoGrpcType as BankProto } from "./wire/generated/bank";
import type { ProtoGrpcType as CoordinatorProto } from "./wire/generated/coordinator";
import type { ProtoGrpcType as GatewayProto } from "./wire/generated/gateway";
import type { ProtoGrpcType as HealthProto } from "./wire/generated/health";
import type { ServiceName } from "./wire/services";

// grpc-js writes its own "E ..." lines to stderr (a failed bind, say); every
// failure reaches us as an error we report in our words, so it stays quiet
// unless asked (GRPC_VERBOSITY=DEBUG for a library-level trace).
if (!process.env.GRPC_VERBOSITY) grpc.setLogVerbosity(grpc.logVerbosity.NONE);

function buildPackageDefinition(): protoLoader.PackageDefinition {
  const root = new protobuf.Root();
  for (const text of [gatewayProto, bankProto, coordinatorProto, healthProto]) {
    protobuf.parse(text, root, { keepCase: true });
  }
  root.resolveAll();
  return protoLoader.fromJSON(root.toJSON(), loaderOptions);
}

export const packageDefinition = buildPackageDefinition();
// What loadPackageDefinition builds, as the generated types describe it: a service renamed in a .proto fails here.
const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as BankProto & CoordinatorProto & GatewayProto & HealthProto;

/** A service's client class and its method definitions. */
export interface ServiceConstructor {
  new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions): grpc.Client;
  service: grpc.ServiceDefinition;
}

export const services: Record<ServiceName, ServiceConstructor> = {
  Gateway: loaded.ministripe.v1.Gateway,
  Admin: loaded.ministripe.v1.Admin,
  Bank: loaded.ministripe.v1.Bank,
  Coordinator: loaded.ministripe.v1.Coordinator,
  Health: loaded.grpc.health.v1.Health,
};
export type { ServiceName };

/** "/ministripe.v1.Gateway/Pay" -> { service: "Gateway", method: "Pay" } */
export function splitPath(path: string): { service: string; method: string } {
  const match = /^\/(?:[\w.]+\.)?(\w+)\/(\w+)$/.exec(path);
  return match ? { service: match[1]!, method: match[2]! } : { service: "?", method: path };
}

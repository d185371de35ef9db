// How a message looks in code, for the runtime loader (src/rpc/protos.ts) and
// for the generated types (generate.ts): one object, so the two cannot differ.
import type * as protoLoader from "@grpc/proto-loader";

export const loaderOptions = {
  keepCase: true,
  longs: String, // int64 stays exact; src/lib/money.ts converts to bigint
  enums: String,
  defaults: true,
  oneofs: true,
} satisfies protoLoader.Options;
